/**
 * Connection records as bytes: the merge passes them through without
 * parsing them. It reads only their head (the encoder writes the id, the
 * client and the server first), gives each the id it has in the merged run,
 * and adds an anomaly where a join calls for one.
 */

const HEAD = Buffer.from('{"type":"connection","id":"');
const CLIENT = Buffer.from('","client":"');
const SERVER = Buffer.from('","server":"');
const ANOMALIES = Buffer.from('"anomalies":[');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export interface LineHead {
  /** The frame the id names (`C` and a number). */
  frame: number;
  /** Where the id's digits end (the closing quote). */
  idEnd: number;
  client: string;
  server: string;
}

/** The head of a connection record written by our encoder, or undefined for any other line. */
export function lineHead(line: Buffer): LineHead | undefined {
  if (line.length < HEAD.length + 2 || line.compare(HEAD, 0, HEAD.length, 0, HEAD.length) !== 0 || line[HEAD.length] !== 0x43) return undefined;
  let at = HEAD.length + 1;
  let frame = 0;
  while (at < line.length && line[at]! >= 0x30 && line[at]! <= 0x39) frame = frame * 10 + line[at++]! - 0x30;
  const idEnd = at;
  if (line.compare(CLIENT, 0, CLIENT.length, at, at + CLIENT.length) !== 0) return undefined;
  const clientStart = at + CLIENT.length;
  const clientEnd = line.indexOf(QUOTE, clientStart);
  if (clientEnd < 0 || line.compare(SERVER, 0, SERVER.length, clientEnd, clientEnd + SERVER.length) !== 0) return undefined;
  const serverStart = clientEnd + SERVER.length;
  const serverEnd = line.indexOf(QUOTE, serverStart);
  if (serverEnd < 0) return undefined;
  return { frame, idEnd, client: line.toString('latin1', clientStart, clientEnd), server: line.toString('latin1', serverStart, serverEnd) };
}

/** The same 4-tuple whichever side is the client: lifecycles of both files are matched by it. */
export function tupleKey(client: string, server: string): string {
  return client < server ? `${client} ${server}` : `${server} ${client}`;
}

const HEAD_TEXT = HEAD.toString('latin1');

/** The line with its id made `C<frame>`: the pieces to write. */
export function withId(line: Buffer, head: LineHead, frame: number): (Buffer | string)[] {
  return frame === head.frame ? [line] : [`${HEAD_TEXT}C${frame}`, line.subarray(head.idEnd)];
}

/** Where the anomalies array of a record line begins (after its `[`) and where its `]` is. */
function anomaliesOf(line: Buffer): [number, number] {
  const open = line.indexOf(ANOMALIES);
  if (open < 0) throw new Error('a connection record without anomalies');
  const start = open + ANOMALIES.length;
  let at = start;
  let depth = 1;
  let inString = false;
  for (; at < line.length && depth > 0; at++) {
    const c = line[at]!;
    if (inString) {
      if (c === BACKSLASH) at++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return [start, at - 1];
}

/**
 * The line with the anomaly whose object begins `{<marker>` replaced by
 * `anomaly` (JSON), or with `anomaly` added last to its anomalies when it
 * has none: the pieces to write.
 */
export function withAnomalyReplaced(line: Buffer, marker: Buffer, anomaly: string): (Buffer | string)[] {
  const [start, close] = anomaliesOf(line);
  const found = line.indexOf(marker, start);
  if (found < 1 || found >= close || line[found - 1] !== 0x7b) {
    return [line.subarray(0, close), close === start ? anomaly : `,${anomaly}`, line.subarray(close)];
  }
  // The anomaly's object is flat: it ends at the first `}` outside a string.
  let at = found;
  let inString = false;
  for (; at < close; at++) {
    const c = line[at]!;
    if (inString) {
      if (c === BACKSLASH) at++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === 0x7d) break;
  }
  return [line.subarray(0, found - 1), anomaly, line.subarray(at + 1)];
}
