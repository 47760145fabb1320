/** Transitions are kept as numbers: every side, state pair, cause and the inferred flag survive the code. */
import test from 'ava';
import { TCP_STATES } from '../../src/state/states.js';
import { CAUSES, codeCause, codeFrom, codeSide, codeTo, INFERRED_BIT, stateCode, transitionCode } from '../../src/state/transition-log.js';

test('every cause, state pair, side and inferred flag round-trips through a transition code', (t) => {
  t.true(CAUSES.length <= 64, `${CAUSES.length} causes in six bits`);
  for (const cause of CAUSES) {
    for (const from of TCP_STATES) {
      for (const side of ['client', 'server'] as const) {
        const to = TCP_STATES[(TCP_STATES.indexOf(from) + 3) % TCP_STATES.length]!;
        const code = transitionCode(side, from, to, cause, side === 'server');
        t.true(code < 2 * INFERRED_BIT);
        if (codeSide(code) !== side || codeFrom(code) !== from || codeTo(code) !== to || codeCause(code) !== cause || Boolean(code & INFERRED_BIT) !== (side === 'server')) {
          t.fail(`${side} ${from} -> ${to} (${cause})`);
          return;
        }
      }
    }
  }
  t.pass();
});

test('a state code is its index in TCP_STATES', (t) => {
  TCP_STATES.forEach((state, i) => t.is(stateCode(state), i, state));
});
