/**
 * Reads an earlier `analyze --format ndjson` output (a baseline, a diff
 * input) record by record. Lines are cut in linear time whatever their
 * length; each record is checked for the fields `check` and `diff` read, with
 * the types they need, so a damaged or foreign file is refused naming its
 * line (exit 2) instead of breaking a comparison. An empty file, or one
 * without its summary (an analysis cut short), is refused too.
 */
import { ANOMALY_CODES, FINDING_CODES, SEVERITIES } from '../rules/codes.js';
import type { OutputRecord } from '../records.js';
import { TCP_STATES } from '../state/states.js';
import { CheckError } from './policy.js';

/** Records of other commands' NDJSON (check, states, diff) and the merge state: not part of an analysis, passed over. */
const OTHER_RECORDS = new Set(['violation', 'check', 'states', 'difference', 'merge_state']);

/** The longest line read: V8's longest string, about 512 MiB. */
const MAX_LINE_BYTES = (1 << 29) - 24;

/** Calls `onRecord` with every record of the analysis in `stream`, in order; throws CheckError naming the line of the first bad one. */
export async function readAnalysis(name: string, stream: AsyncIterable<Uint8Array | string>, onRecord: (record: OutputRecord) => void): Promise<void> {
  let line = 0;
  let records = 0;
  let summary = false;
  const take = (text: string): void => {
    line++;
    if (text.trim() === '') return;
    if (summary) throw new CheckError(`${name}: line ${line}: a record after the summary, which ends an analysis`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new CheckError(`${name}: line ${line}: not JSON (${(error as Error).message})`);
    }
    const problem = problemOf(value);
    if (problem) throw new CheckError(`${name}: line ${line}: ${problem}`);
    const record = value as { type: string };
    if (OTHER_RECORDS.has(record.type)) return;
    records++;
    if (record.type === 'summary') summary = true;
    onRecord(value as OutputRecord);
  };
  // The bytes of a line that spans chunks, kept as pieces: joined once, when its end comes.
  let pieces: Buffer[] = [];
  let pending = 0;
  try {
    for await (const data of stream) {
      const chunk = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      let start = 0;
      for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
        if (pending + nl - start > MAX_LINE_BYTES) throw new CheckError(`${name}: line ${line + 1} is longer than ${MAX_LINE_BYTES} bytes`);
        take(pieces.length === 0 ? chunk.toString('utf8', start, nl) : Buffer.concat([...pieces, chunk.subarray(start, nl)]).toString('utf8'));
        pieces = [];
        pending = 0;
        start = nl + 1;
      }
      if (start < chunk.length) {
        pending += chunk.length - start;
        if (pending > MAX_LINE_BYTES) throw new CheckError(`${name}: line ${line + 1} is longer than ${MAX_LINE_BYTES} bytes`);
        pieces.push(Buffer.from(chunk.subarray(start)));
      }
    }
  } catch (error) {
    if (error instanceof CheckError) throw error;
    throw new CheckError(`${name}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (pieces.length > 0) take(Buffer.concat(pieces).toString('utf8'));
  if (records === 0) throw new CheckError(`${name}: empty: no records of an analysis (make one with analyze --format ndjson)`);
  if (!summary) throw new CheckError(`${name}: no summary line: the analysis was cut short`);
}

const STATE_SET: ReadonlySet<unknown> = new Set(TCP_STATES);
const ANOMALY_SET: ReadonlySet<unknown> = new Set(ANOMALY_CODES);
const FINDING_SET: ReadonlySet<unknown> = new Set(FINDING_CODES);
const SEVERITY_SET: ReadonlySet<unknown> = new Set(SEVERITIES);
const SIDES: ReadonlySet<unknown> = new Set(['client', 'server']);

type Check = (value: unknown) => boolean;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text: Check = (v) => typeof v === 'string';
const count: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const time: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const oneOf = (set: ReadonlySet<unknown>): Check => (v) => set.has(v);
const optional = (check: Check): Check => (v) => v === undefined || check(v);
const nullable = (check: Check): Check => (v) => v === null || check(v);

/** What a field must be, per record type: the fields check and diff read. */
const EXAMPLE: Record<string, Check> = { id: text, first_frame: count, last_frame: count, client: text, server: text };
const ANOMALY: Record<string, Check> = { code: oneOf(ANOMALY_SET), side: oneOf(SIDES) };
const SHAPES: Record<string, Record<string, Check>> = {
  connection: {
    id: text, client: text, server: text, first_frame: optional(count), last_frame: optional(count),
    client_state: oneOf(STATE_SET), server_state: oneOf(STATE_SET), anomalies: (v) => Array.isArray(v) && v.every((a) => fieldProblem(a, ANOMALY) === undefined),
  },
  finding: {
    code: oneOf(FINDING_SET), severity: oneOf(SEVERITY_SET), endpoint: text, count, summary: text,
    examples: optional((v) => Array.isArray(v) && v.every((e) => fieldProblem(e, EXAMPLE) === undefined)),
  },
  summary: {
    packets: count, connections: count, findings: count, first_ts: nullable(time), last_ts: nullable(time),
    states_at_end: (v) => isObject(v) && Object.entries(v).every(([state, n]) => STATE_SET.has(state) && count(n)),
  },
};

function fieldProblem(value: unknown, shape: Record<string, Check>): string | undefined {
  if (!isObject(value)) return `${JSON.stringify(value)} is not an object`;
  for (const [field, check] of Object.entries(shape)) {
    if (!check(value[field])) return value[field] === undefined ? `lacks ${field}` : `${field} is ${JSON.stringify(value[field])?.slice(0, 80)}`;
  }
  return undefined;
}

/** Why a parsed line is no record check and diff can use, or undefined when it is one. */
function problemOf(value: unknown): string | undefined {
  if (!isObject(value) || typeof value.type !== 'string') return 'not a record with a type';
  if (OTHER_RECORDS.has(value.type)) return undefined;
  const shape = SHAPES[value.type];
  if (!shape) return `unknown record type ${JSON.stringify(value.type)}`;
  const problem = fieldProblem(value, shape);
  if (problem === undefined) return undefined;
  // Name the anomaly or example at fault rather than the whole list.
  for (const [list, inner] of [['anomalies', ANOMALY], ['examples', EXAMPLE]] as const) {
    if (!problem.startsWith(`${list} is`) || !Array.isArray(value[list])) continue;
    const at = (value[list] as unknown[]).findIndex((item) => fieldProblem(item, inner) !== undefined);
    return `${value.type} ${list}[${at}] ${fieldProblem((value[list] as unknown[])[at], inner)}`;
  }
  return `${value.type} ${problem}`;
}
