/**
 * A capture cut at any length, as when tcpdump is killed or a copy stops
 * short: the reader throws nothing but CaptureError, delivers exactly the
 * records that lie whole before the cut, and says where the cut record starts.
 */
import test, { type ExecutionContext } from 'ava';
import path from 'node:path';
import { CaptureError } from '../../src/capture/frame.js';
import { load, readWhole, type FrameCopy } from './frames.js';
import { PUBLIC_CAPTURES, ROOT } from '../helpers/paths.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/capture');

/** Frames compared as text first (thousands of cuts), in detail only when they differ. */
function sameFrames(t: ExecutionContext, got: FrameCopy[], expected: FrameCopy[], label: string): void {
  if (JSON.stringify(got) === JSON.stringify(expected)) t.pass();
  else t.deepEqual(got, expected, label);
}

for (const file of [path.join(PUBLIC_CAPTURES, 'tcpdump-be-pptp.pcap'), path.join(FIXTURES, 'lo-nano.pcap')]) {
  test(`${path.basename(file)} cut at every length: the whole records before the cut, then a truncated warning at the cut record`, (t) => {
    const bytes = load(file);
    const whole = readWhole(bytes);
    t.is(whole.error, undefined);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const outcome = readWhole(bytes.subarray(0, cut));
      const label = `cut at ${cut}`;
      if (cut < 24) {
        t.is(outcome.error?.kind, 'not-capture', label);
        t.is(outcome.frames.length, 0, label);
        continue;
      }
      // pcap records are 16 header bytes and the captured bytes.
      const expected = whole.frames.filter((f) => f.fileOffset + 16 + f.capLen <= cut);
      sameFrames(t, outcome.frames, expected, label);
      t.is(outcome.error, undefined, label);
      const next = whole.frames[expected.length];
      if (next === undefined || next.fileOffset === cut) {
        t.is(outcome.warning, undefined, label);
      } else {
        t.is(outcome.warning?.kind, 'truncated', label);
        t.is(outcome.warning?.offset, next.fileOffset, label);
      }
    }
  });
}

for (const file of [path.join(FIXTURES, 'two-sections.pcapng'), path.join(PUBLIC_CAPTURES, 'zeek-pcapng-126-idbs-ldap-gap.pcapng')]) {
  test(`${path.basename(file)} cut at every length: a prefix of the frames, never an exception other than CaptureError`, (t) => {
    const bytes = load(file);
    const whole = readWhole(bytes);
    let previous = 0;
    let warnings = 0;
    for (let cut = 0; cut <= bytes.length; cut++) {
      const label = `cut at ${cut}`;
      let outcome;
      try {
        outcome = readWhole(bytes.subarray(0, cut));
      } catch (error) {
        t.fail(`${label}: ${String(error)}`);
        return;
      }
      sameFrames(t, outcome.frames, whole.frames.slice(0, outcome.frames.length), label);
      t.true(outcome.frames.length >= previous, `${label}: never fewer frames for a longer prefix`);
      previous = outcome.frames.length;
      if (outcome.error) {
        // Only a cut inside the first section header leaves nothing usable.
        t.is(outcome.error.kind, 'not-capture', label);
        t.is(outcome.frames.length, 0, label);
      }
      if (outcome.warning) {
        warnings++;
        t.true(outcome.warning instanceof CaptureError && outcome.warning.kind === 'truncated', label);
        t.true(outcome.warning.offset < cut, label);
        const next = whole.frames[outcome.frames.length];
        if (next) t.true(next.fileOffset >= outcome.warning.offset, `${label}: the next frame is at or after the cut record`);
      }
    }
    t.is(previous, whole.frames.length);
    t.true(warnings > bytes.length / 2, 'most cuts fall inside a block');
  });
}
