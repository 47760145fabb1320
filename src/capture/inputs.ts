/**
 * The inputs of one run, checked and put in order before a record is made:
 * every input must start as a capture (else the run is refused before any
 * output), and several inputs are one capture read in the time order of
 * their first packets, so the files of a `tcpdump -C` or `-G` rotation may be
 * named in any order (a shell glob puts `dump10` before `dump2`).
 *
 * A regular file is probed by position and read again from its start. A
 * stream (`-`, a pipe, a FIFO, a device, a readable) is opened once and read
 * ahead until its header, and with several inputs its first packet: the
 * chunks read ahead are read again, so a pipe is never consumed by its probe.
 */
import { probeBytes, probeFile, probeStream, type CaptureSource } from './source.js';
import { readsAsStream, StreamInput } from './stream-input.js';

export interface NamedInput {
  source: CaptureSource;
  /** How messages and records name it: the path, or `<stdin>`, `<stream N>`, `<buffer N>`. */
  name: string;
}

/**
 * Probes every input of several, in the order given, and returns them in the order of
 * their first packets (inputs whose first packet was not found keep their
 * place after the others). Throws a not-capture CaptureError for the first
 * unusable one, after closing the streams already opened. Interrupted, it
 * returns what it opened, unordered.
 */
export async function prepareInputs(inputs: NamedInput[], signal?: AbortSignal): Promise<NamedInput[]> {
  // One input is refused by its own reading before it yields a record: no probe needed.
  if (inputs.length < 2) return inputs;
  const prepared: (NamedInput & { firstTs: number })[] = [];
  try {
    for (const { source, name } of inputs) {
      if (signal?.aborted) {
        prepared.push({ source, name, firstTs: Infinity });
        continue;
      }
      if (typeof source === 'string' && !readsAsStream(source)) {
        prepared.push({ source, name, firstTs: probeFile(source).firstTs ?? Infinity });
      } else if (source instanceof Uint8Array) {
        prepared.push({ source, name, firstTs: probeBytes(source, name).firstTs ?? Infinity });
      } else {
        const { input, probe } = await probeStream(source, name, true, signal);
        prepared.push({ source: input, name, firstTs: probe?.firstTs ?? Infinity });
      }
    }
  } catch (error) {
    for (const { source } of prepared) if (source instanceof StreamInput) source.destroy();
    throw error;
  }
  if (!signal?.aborted) prepared.sort((a, b) => a.firstTs - b.firstTs);
  return prepared.map(({ source, name }) => ({ source, name }));
}
