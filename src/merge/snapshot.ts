/**
 * A lifecycle's whole state in bytes, and back: what the merge needs to
 * continue a connection that a file edge cut, exactly as one run would have
 * continued it.
 *
 * The fields are read off a fresh Lifecycle when the module loads: numbers,
 * booleans, strings, null and undefined are values (and so are arrays and
 * typed arrays a field holds only once made), typed arrays and arrays
 * their elements, nested objects (the machine, its endpoints, the Zeek
 * history) their fields in turn, and the transition log its entries, through
 * its own methods. So a field added to the lifecycle, the machine or an
 * endpoint is carried with no change here; a test checks that every field
 * round-trips. Left out: the tracker's list links, which the tracker sets
 * again when it adopts the lifecycle, its watch mark, and the ladder
 * segments, which merged analyses never keep. The copy functions are
 * generated from the field list as straight-line code, each value written
 * as its field's type wants it (a number without a tag, a boolean as a byte),
 * and only where it differs from a fresh lifecycle's (see byteCode).
 */
import { Lifecycle } from '../flow/lifecycle.js';
import { Link } from '../flow/link-list.js';
import { TransitionLog } from '../state/transition-log.js';
import { ByteReader, ByteWriter, type Scalar } from './bytes.js';

/** Fields that are no part of a connection's state. */
const LEFT_OUT = new Set(['segmentLog', 'watch', 'observer']);

export type Value = Scalar | number[];

interface Field {
  /** Dotted path from the lifecycle, with element indexes: `machine.client.state`, `addr.3`. */
  path: string;
  /** How it is written: a number, a boolean, any scalar, the elements of an array, or a transition log's entries. */
  kind: 'number' | 'boolean' | 'scalar' | 'array' | 'log';
}

interface Code {
  capture: string[];
  restore: string[];
  /** Per field, in order: how it is written and read, and for a field whose fresh value is a constant, that constant as source text. */
  bytes: { write: string; read: string; at: string; fresh: string | undefined }[];
}

/**
 * A fresh lifecycle's value as source text, when it is a constant a field
 * can be compared with and set to: numbers (-0 and NaN too), booleans,
 * strings, null, undefined. Arrays and objects are not.
 */
function constantText(value: unknown): string | undefined {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return undefined;
}

/** Source text: whether the value at `at` differs from the constant `fresh` (-0 from 0, NaN equal to NaN). */
function differs(at: string, fresh: string): string {
  if (fresh === '0') return `(${at} !== 0 || 1 / ${at} < 0)`;
  if (fresh === '-0') return `(${at} !== 0 || 1 / ${at} > 0)`;
  if (fresh === 'NaN') return `(${at} === ${at})`;
  return `${at} !== ${fresh}`;
}

function describe(obj: Record<string, unknown>, prefix: string, ref: string, fields: Field[], code: Code): void {
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    const path = prefix + key;
    const r = `${ref}[${JSON.stringify(key)}]`;
    if (value instanceof Link || LEFT_OUT.has(key)) continue;
    /** `fresh`: the field's value in a fresh lifecycle. */
    const field = (kind: Field['kind'], at: string, path: string, write: string, read: string, fresh: unknown = value): void => {
      fields.push({ path, kind });
      code.capture.push(`v.push(${kind === 'log' ? `logEntries(${at})` : kind === 'array' ? `${at}.slice()` : kind === 'scalar' ? `copy(${at})` : at});`);
      code.restore.push(kind === 'log' ? `setLog(${at}, v[i++]);` : kind === 'array' ? `${at} = v[i++].slice();` : kind === 'scalar' ? `${at} = copy(v[i++]);` : `${at} = v[i++];`);
      code.bytes.push({ write, read, at, fresh: kind === 'number' || kind === 'boolean' || kind === 'scalar' ? constantText(fresh) : undefined });
    };
    if (value instanceof TransitionLog) {
      field('log', r, path, `writeLog(w, ${r});`, `readLog(rd, ${r});`);
    } else if (ArrayBuffer.isView(value) && 'length' in value && typeof value.length === 'number') {
      for (let i = 0; i < value.length; i++) field('number', `${r}[${i}]`, `${path}.${i}`, `w.num(${r}[${i}]);`, `${r}[${i}] = rd.num();`, (value as unknown as ArrayLike<number>)[i]);
    } else if (Array.isArray(value)) {
      field('array', r, path, `w.uint(${r}.length); for (const x of ${r}) w.value(x);`, `${r} = Array.from({ length: rd.uint() }, () => rd.value());`);
    } else if (value !== null && typeof value === 'object') {
      describe(value as Record<string, unknown>, `${path}.`, r, fields, code);
    } else if (typeof value === 'number') {
      field('number', r, path, `w.num(${r});`, `${r} = rd.num();`);
    } else if (typeof value === 'boolean') {
      field('boolean', r, path, `w.bool(${r});`, `${r} = rd.bool();`);
    } else if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
      throw new Error(`Lifecycle field ${path} is a ${typeof value}: teach merge/snapshot.ts to carry it`);
    } else {
      field('scalar', r, path, `w.value(${r});`, `${r} = rd.value();`);
    }
  }
}

/** A value as captured: an array (made when first needed, as counters and lists are) copied, so the capture stays as it was. */
function copy(v: unknown): unknown {
  return Array.isArray(v) || ArrayBuffer.isView(v) ? (v as number[]).slice() : v;
}

function logEntries(log: TransitionLog): number[] {
  const out: number[] = [];
  for (let i = 0; i < log.length; i++) out.push(log.ts(i), log.frame(i), log.code(i));
  return out;
}

function setLog(log: TransitionLog, entries: number[]): void {
  log.clear();
  for (let i = 0; i + 2 < entries.length; i += 3) log.push(entries[i]!, entries[i + 1]!, entries[i + 2]!);
}

/** Times in the log are whole microseconds: each is written as microseconds after the one before (exact, as the log rounds them so). */
function writeLog(w: ByteWriter, log: TransitionLog): void {
  w.uint(log.length);
  let last = 0;
  for (let i = 0; i < log.length; i++) {
    const ts = log.ts(i);
    const micros = Math.round(ts * 1e6);
    if (micros / 1e6 === ts) {
      w.num((micros - last) * 2);
      last = micros;
    } else {
      w.num(1);
      w.value(ts);
    }
    w.num(log.frame(i));
    w.num(log.code(i));
  }
}

function readLog(r: ByteReader, log: TransitionLog): void {
  log.clear();
  const n = r.uint();
  let last = 0;
  for (let i = 0; i < n; i++) {
    const d = r.num();
    let ts: number;
    if (d === 1) ts = r.value() as number;
    else {
      last += d / 2;
      ts = last / 1e6;
    }
    log.push(ts, r.num(), r.num());
  }
}

const FIELDS: Field[] = [];
const code: Code = { capture: [], restore: [], bytes: [] };
describe(new Lifecycle() as unknown as Record<string, unknown>, '', 'l', FIELDS, code);

/** Fields told apart by one byte of bits: those still as in a fresh lifecycle are not written. */
const MASK_FIELDS = 8;

/**
 * The write and read code of the byte format. Runs of fields with a constant
 * fresh value go in groups of eight behind a byte whose bits say which of
 * them differ from it; only those are written, and the reader sets the
 * others to it. Most of a lifecycle is as it was made (a half-open
 * handshake's: all but a few times, numbers and states), so a flood's open
 * lifecycles take a fraction of the bytes. Other fields are written whole.
 */
function byteCode(fields: Code['bytes']): { write: string[]; read: string[] } {
  const write: string[] = ['let m = 0;'];
  const read: string[] = ['let m = 0;'];
  let group: Code['bytes'] = [];
  const flush = (): void => {
    if (group.length === 0) return;
    write.push(`m = ${group.map((f, bit) => `(${differs(f.at, f.fresh!)} ? ${1 << bit} : 0)`).join(' | ')};`, 'w.byte(m);');
    read.push('m = rd.byte();');
    group.forEach((f, bit) => {
      write.push(`if (m & ${1 << bit}) { ${f.write} }`);
      read.push(`if (m & ${1 << bit}) { ${f.read} } else ${f.at} = ${f.fresh};`);
    });
    group = [];
  };
  for (const f of fields) {
    if (f.fresh === undefined) {
      flush();
      write.push(f.write);
      read.push(f.read);
      continue;
    }
    group.push(f);
    if (group.length === MASK_FIELDS) flush();
  }
  flush();
  return { write, read };
}
const bytes = byteCode(code.bytes);

// Generated once from the field list: copies without a property lookup by name per field.
const make = <F>(params: string, body: string[]): F =>
  new Function('logEntries', 'setLog', 'writeLog', 'readLog', 'copy', `return (${params}) => { ${body.join('\n')} };`)(logEntries, setLog, writeLog, readLog, copy) as F;
const captureFn = make<(l: Lifecycle) => Value[]>('l', ['const v = [];', ...code.capture, 'return v;']);
const restoreFn = make<(l: Lifecycle, v: Value[]) => void>('l, v', ['let i = 0;', ...code.restore]);
const writeFn = make<(w: ByteWriter, l: Lifecycle) => void>('w, l', bytes.write);
const readFn = make<(rd: ByteReader, l: Lifecycle) => void>('rd, l', bytes.read);

/** The fields a snapshot holds, in its order. */
export const SNAPSHOT_FIELDS: readonly Field[] = FIELDS;

/** Every field of the lifecycle's state, in SNAPSHOT_FIELDS order. */
export function capture(l: Lifecycle): Value[] {
  return captureFn(l);
}

/** Sets the state of `l` (a fresh or recycled lifecycle) from captured values; the tracker links it in when it adopts it. */
export function restore(values: Value[], l: Lifecycle = new Lifecycle()): Lifecycle {
  if (values.length !== FIELDS.length) throw new Error(`a lifecycle snapshot holds ${values.length} fields where this version has ${FIELDS.length}`);
  restoreFn(l, values);
  return l;
}

/** Writes the lifecycle's state. */
export function writeLifecycle(w: ByteWriter, l: Lifecycle): void {
  writeFn(w, l);
}

/** Reads a lifecycle's state into `l` (a fresh one by default). */
export function readLifecycle(r: ByteReader, l: Lifecycle = new Lifecycle()): Lifecycle {
  readFn(r, l);
  return l;
}

const scratch = new Lifecycle();

/** Captured values, written as `writeLifecycle` writes them. */
export function writeSnapshot(w: ByteWriter, values: Value[]): void {
  writeLifecycle(w, restore(values, scratch));
}

/** Captured values of a state `writeLifecycle` wrote. */
export function readSnapshot(r: ByteReader): Value[] {
  return capture(readLifecycle(r, scratch));
}
