/**
 * Stretches of time the capture did not see: between two files of one
 * capture, when the next begins longer than --stuck-after after the previous
 * ended (a capture restarted, a rotation that lost files). A wait is not
 * judged stuck for time that passed in a gap: nothing could be seen then.
 */
export class CaptureGaps {
  private readonly from: number[] = [];
  private readonly to: number[] = [];

  add(from: number, to: number): void {
    if (to > from) {
      this.from.push(from);
      this.to.push(to);
    }
  }

  /** Seconds of gaps within [since, until]. */
  within(since: number, until: number): number {
    let unseen = 0;
    for (let i = 0; i < this.from.length; i++) unseen += Math.max(0, Math.min(until, this.to[i]!) - Math.max(since, this.from[i]!));
    return unseen;
  }
}

/** No gaps: a single file, standard input. */
export const NO_GAPS = new CaptureGaps();
