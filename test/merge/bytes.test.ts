/**
 * The merge state's byte format: whole numbers as LEB128 varints (seven bits
 * a byte, low first), the same bytes whichever arithmetic writes them, and
 * every number back exactly as it went in.
 */
import test from 'ava';
import { ByteWriter, pack, unpack } from '../../src/merge/bytes.js';

/** LEB128 of a whole number below 2^53, by division: the reference. */
function leb128(n: number): number[] {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

const EDGES = [0, 1, 127, 128, 2 ** 14 - 1, 2 ** 14, 2 ** 28 - 1, 2 ** 28, 2 ** 28 + 1, 2 ** 30, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35, 2 ** 50, 2 ** 53 - 1];

test('whole numbers are LEB128 varints, across the 2^28 and 2^32 edges too', (t) => {
  for (const n of EDGES) {
    const w = new ByteWriter();
    w.uint(n);
    t.deepEqual([...Buffer.from(pack(w).data, 'base64')], leb128(n), String(n));
  }
});

test('numbers round-trip exactly, one at a time and a packet\'s worth at once', (t) => {
  const values = [...EDGES, ...EDGES.map((n) => -n), -0, 0.5, -1.25, NaN, Infinity, -Infinity, 1796063936.169088, 2 ** 50, -(2 ** 50), 3e9 + 0.5];
  const w = new ByteWriter();
  for (const x of values) w.num(x);
  w.nums(Float64Array.from(values), 0, values.length);
  const r = unpack(pack(w));
  for (let pass = 0; pass < 2; pass++) for (const x of values) t.true(Object.is(r.num(), x), `${x} (pass ${pass})`);
  t.true(r.done);
});
