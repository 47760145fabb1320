/**
 * The byte format of merge state: values one after another, each a tag byte
 * and its payload. Whole numbers below 2^52, which are most of a
 * connection's state (counters, sequence numbers, frames), take one to eight
 * bytes as zigzag varints; other numbers take their 8 bytes, so times round-
 * trip exactly; strings go through a table, so a state name costs a byte or
 * two. The result travels in NDJSON as base64.
 */

const TAG_INT = 0;
const TAG_DOUBLE = 1;
const TAG_FALSE = 2;
const TAG_TRUE = 3;
const TAG_NULL = 4;
const TAG_UNDEFINED = 5;
const TAG_STRING = 6;
const TAG_ARRAY = 7;
const TAG_TYPED = 8;

/** Typed arrays a value may be (made when first needed, as counters are), by their code in the bytes. */
const TYPED = [Int32Array, Uint32Array, Float64Array, Uint8Array, Int8Array, Uint16Array, Int16Array, Float32Array] as const;
type Typed = InstanceType<(typeof TYPED)[number]>;

export type Scalar = number | boolean | string | null | undefined | Scalar[] | Typed;

export class ByteWriter {
  private buf = new Uint8Array(1024);
  private pos = 0;
  private readonly strings = new Map<string, number>();
  private readonly table: string[] = [];
  private readonly scratch = new DataView(new ArrayBuffer(8));
  private readonly scratchBytes = new Uint8Array(this.scratch.buffer);

  get length(): number {
    return this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  /** A non-negative whole number below 2^53, seven bits a byte. */
  uint(n: number): void {
    this.room(8);
    this.varint(n);
  }

  /** `uint` with the room made: the low 28 bits in integer arithmetic when the number is larger (addresses, sequence numbers). */
  private varint(n: number): void {
    const b = this.buf;
    let p = this.pos;
    if (n >= 0x10000000) {
      const high = Math.floor(n / 0x10000000);
      let low = n - high * 0x10000000;
      for (let k = 0; k < 4; k++) {
        b[p++] = (low & 0x7f) | 0x80;
        low >>>= 7;
      }
      n = high;
    }
    while (n >= 0x80) {
      b[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[p++] = n;
    this.pos = p;
  }

  /**
   * A number without a tag (the reader knows a number is due): a whole
   * number below 2^50 as a varint of four times it (two low bits for the
   * sign), anything else as 1 and its 8 bytes.
   */
  num(x: number): void {
    this.room(9);
    this.numHere(x);
  }

  /** `num` of each of `values[from..to)`, the room made once. */
  nums(values: Float64Array, from: number, to: number): void {
    this.room((to - from) * 9);
    for (let i = from; i < to; i++) this.numHere(values[i]!);
  }

  /** `num` with the room made. */
  private numHere(x: number): void {
    // Most are small whole numbers, told first (-0 by the sign of its reciprocal) without the general test.
    const small = (x | 0) === x && (x !== 0 || 1 / x > 0);
    if (small || (Number.isInteger(x) && x < 2 ** 50 && x > -(2 ** 50) && !Object.is(x, -0))) {
      this.varint(x >= 0 ? x * 4 : -x * 4 - 2);
      return;
    }
    this.buf[this.pos++] = 1;
    this.doubleHere(x);
  }

  bool(b: boolean): void {
    this.room(1);
    this.buf[this.pos++] = b ? 1 : 0;
  }

  /** A byte as it is (0 to 255). */
  byte(n: number): void {
    this.room(1);
    this.buf[this.pos++] = n;
  }

  private double(x: number): void {
    this.room(8);
    this.doubleHere(x);
  }

  private doubleHere(x: number): void {
    this.scratch.setFloat64(0, x);
    this.buf.set(this.scratchBytes, this.pos);
    this.pos += 8;
  }

  number(x: number): void {
    if (Number.isInteger(x) && Math.abs(x) < 2 ** 52 && !Object.is(x, -0)) {
      this.tag(TAG_INT);
      this.uint(x >= 0 ? x * 2 : -x * 2 - 1);
      return;
    }
    this.tag(TAG_DOUBLE);
    this.double(x);
  }

  value(v: Scalar): void {
    switch (typeof v) {
      case 'number':
        this.number(v);
        return;
      case 'boolean':
        this.tag(v ? TAG_TRUE : TAG_FALSE);
        return;
      case 'string': {
        let index = this.strings.get(v);
        if (index === undefined) {
          index = this.table.length;
          this.strings.set(v, index);
          this.table.push(v);
        }
        this.tag(TAG_STRING);
        this.uint(index);
        return;
      }
      default:
        if (v === null || v === undefined) {
          this.tag(v === null ? TAG_NULL : TAG_UNDEFINED);
        } else if (Array.isArray(v)) {
          this.tag(TAG_ARRAY);
          this.uint(v.length);
          for (const x of v) this.value(x);
        } else {
          const code = TYPED.findIndex((t) => v instanceof t);
          if (code < 0) throw new Error(`merge state cannot hold a ${(v as object).constructor?.name ?? typeof v}`);
          this.tag(TAG_TYPED);
          this.uint(code);
          this.uint(v.length);
          for (const x of v) this.num(x);
        }
    }
  }

  private tag(tag: number): void {
    this.room(1);
    this.buf[this.pos++] = tag;
  }

  /** The bytes and the string table they refer to. */
  finish(): { bytes: Uint8Array; strings: string[] } {
    return { bytes: this.buf.subarray(0, this.pos), strings: this.table };
  }
}

export class ByteReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    private readonly strings: readonly string[],
    start = 0,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  uint(): number {
    let n = 0;
    let scale = 1;
    while (true) {
      if (this.pos >= this.buf.length) throw new Error('merge state ends inside a number');
      const b = this.buf[this.pos++]!;
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
  }

  num(): number {
    const n = this.uint();
    if (n === 1) return this.double();
    return n % 4 === 0 ? n / 4 : -(n + 2) / 4;
  }

  bool(): boolean {
    return this.byte() === 1;
  }

  byte(): number {
    if (this.pos >= this.buf.length) throw new Error('merge state ends inside a value');
    return this.buf[this.pos++]!;
  }

  private double(): number {
    if (this.pos + 8 > this.buf.length) throw new Error('merge state ends inside a number');
    const x = this.view.getFloat64(this.pos);
    this.pos += 8;
    return x;
  }

  value(): Scalar {
    if (this.pos >= this.buf.length) throw new Error('merge state ends inside a value');
    const tag = this.buf[this.pos++]!;
    switch (tag) {
      case TAG_INT: {
        const z = this.uint();
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      case TAG_DOUBLE:
        return this.double();
      case TAG_FALSE:
        return false;
      case TAG_TRUE:
        return true;
      case TAG_NULL:
        return null;
      case TAG_UNDEFINED:
        return undefined;
      case TAG_ARRAY:
        return Array.from({ length: this.uint() }, () => this.value());
      case TAG_TYPED: {
        const Kind = TYPED[this.uint()];
        if (!Kind) throw new Error('merge state holds an unknown kind of array');
        const out = new Kind(this.uint());
        for (let i = 0; i < out.length; i++) out[i] = this.num();
        return out;
      }
      case TAG_STRING: {
        const s = this.strings[this.uint()];
        if (s === undefined) throw new Error('merge state names a string it does not hold');
        return s;
      }
      default:
        throw new Error(`merge state holds an unknown tag ${tag}`);
    }
  }

  number(): number {
    const v = this.value();
    if (typeof v !== 'number') throw new Error(`merge state: a number was due, found ${String(v)}`);
    return v;
  }
}

/** Bytes and their string table as they travel in a JSON record. */
export interface PackedBytes {
  data: string;
  strings: string[];
}

export function pack(w: ByteWriter): PackedBytes {
  const { bytes, strings } = w.finish();
  return { data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), strings };
}

export function unpack(p: PackedBytes): ByteReader {
  const bytes = Buffer.from(p.data, 'base64');
  return new ByteReader(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), p.strings);
}
