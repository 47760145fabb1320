/** After `--` every argument is a file, also one whose name starts with a dash (the Unix convention): `analyze -- -x.pcap`. */
import test from 'ava';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CAPTURES } from '../helpers/paths.js';
import { cli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tcp-lifecycle-dash-'));
copyFileSync(path.join(CAPTURES, 'close-wait-leak.pcap'), path.join(tmp, '-x.pcap'));
copyFileSync(path.join(CAPTURES, 'client-close.pcap'), path.join(tmp, '-y.pcap'));
const run = (args: string[], input?: Buffer) => cli(args, { cwd: tmp, ...(input && { input }) });
/**
 * The same run named `./-x.pcap` names its file so in records and reports;
 * the merge state (for `merge`) holds the names packed, so it is left out.
 */
const asTyped = (text: string) => withoutMergeState(text.replaceAll('./-', '-'));
const withoutMergeState = (text: string) => text.split('\n').filter((line) => !line.startsWith('{"type":"merge_state"')).join('\n');

for (const [name, before, after] of [
  ['analyze', ['analyze'], []],
  ['analyze --format ndjson', ['analyze', '--format', 'ndjson'], []],
  ['report', ['report', '--format', 'md'], []],
  ['states', ['states'], []],
  ['check', ['check', '--max', 'close_wait_stuck=0'], []],
  ['check --format ndjson', ['check', '--format', 'ndjson'], []],
] as const) {
  test(`${name} -- -x.pcap reads the file -x.pcap, as ${name} ./-x.pcap does`, async (t) => {
    const [dashed, plain] = await Promise.all([run([...before, '--', '-x.pcap', ...after]), run([...before, './-x.pcap', ...after])]);
    t.not(plain.stdout, '', plain.stderr);
    t.is(dashed.status, plain.status, dashed.stderr);
    t.is(withoutMergeState(dashed.stdout), asTyped(plain.stdout));
    t.is(dashed.stderr, asTyped(plain.stderr));
  });
}

test('several files after --, and options before it', async (t) => {
  const [dashed, plain] = await Promise.all([
    run(['analyze', '--format', 'ndjson', '--stuck-after', '5', '--', '-x.pcap', '-y.pcap']),
    run(['analyze', '--format', 'ndjson', '--stuck-after', '5', './-x.pcap', './-y.pcap']),
  ]);
  t.is(dashed.status, 0, dashed.stderr);
  t.is(withoutMergeState(dashed.stdout), asTyped(plain.stdout));
  t.regex(dashed.stdout, /"files":\["-x\.pcap","-y\.pcap"\]/);
});

test('after --, a word that looks like an option is a file name too, and - is still standard input', async (t) => {
  const [help, stdin] = await Promise.all([run(['analyze', '--', '--help']), run(['analyze', '--', '-'], readFileSync(path.join(tmp, '-y.pcap')))]);
  t.is(help.status, 2);
  t.regex(help.stderr, /--help: no such file/);
  const plain = await run(['analyze', './-y.pcap']);
  t.is(stdin.status, 0, stdin.stderr);
  t.is(stdin.stdout, plain.stdout);
});

test('extract -o OUT -- -x.pcap writes the same capture as extract -o OUT ./-x.pcap', async (t) => {
  const [dashed, plain] = await Promise.all([
    run(['extract', '--connection', 'C9', '-o', 'dashed.pcap', '--', '-x.pcap']),
    run(['extract', '--connection', 'C9', '-o', 'plain.pcap', './-x.pcap']),
  ]);
  t.is(dashed.status, 0, dashed.stderr);
  t.is(plain.status, 0, plain.stderr);
  t.deepEqual(readFileSync(path.join(tmp, 'dashed.pcap')), readFileSync(path.join(tmp, 'plain.pcap')));
});

test('diff -- -x.pcap -y.pcap compares the two files, as diff ./-x.pcap ./-y.pcap does; one too many is named', async (t) => {
  const [dashed, plain, extra] = await Promise.all([run(['diff', '--', '-x.pcap', '-y.pcap']), run(['diff', './-x.pcap', './-y.pcap']), run(['diff', '--', '-x.pcap', '-y.pcap', '-z.pcap'])]);
  t.is(plain.status, 1, plain.stderr);
  t.is(dashed.status, 1, dashed.stderr);
  t.is(withoutMergeState(dashed.stdout), asTyped(plain.stdout));
  t.is(extra.status, 2);
  t.is(extra.stderr, 'tcp-lifecycle: too many arguments: -z.pcap\n');
});

test('merge -- -x.ndjson -y.ndjson joins the analyses, as merge ./-x.ndjson ./-y.ndjson does', async (t) => {
  for (const file of ['-x', '-y']) {
    const r = await run(['analyze', '--format', 'ndjson', `./${file}.pcap`]);
    t.is(r.status, 0, r.stderr);
    writeFileSync(path.join(tmp, `${file}.ndjson`), r.stdout);
  }
  const [dashed, plain] = await Promise.all([run(['merge', '--', '-x.ndjson', '-y.ndjson']), run(['merge', './-x.ndjson', './-y.ndjson'])]);
  t.is(plain.status, 0, plain.stderr);
  t.is(dashed.status, 0, dashed.stderr);
  // The analyses name their captures alike either way: the same bytes.
  t.is(dashed.stdout, plain.stdout);
});
