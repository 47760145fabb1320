/**
 * Pipes and FIFOs are captures, read once as standard input is: process
 * substitution (`analyze <(zcat x.pcap.gz)`), a FIFO given by name, and a
 * concatenation of captures on standard input. Each once said "not a pcap"
 * naming bytes from inside the first packet, hung, or stopped at the second
 * file's header. Run against the built command line.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CLI, CAPTURES, PUBLIC_CAPTURES, ROOT } from '../helpers/paths.js';
import { contractCheck, ndjsonLines, startCli } from '../helpers/cli.js';

const LEAK = path.join(CAPTURES, 'close-wait-leak.pcap');
const CLIENT_CLOSE = path.join(CAPTURES, 'client-close.pcap');
const BIG_ENDIAN = path.join(PUBLIC_CAPTURES, 'tcpdump-be-pptp.pcap');
const SECTIONS = path.join(ROOT, 'test/fixtures/capture/two-sections.pcapng');
const dir = mkdtempSync(path.join(tmpdir(), 'pipes-'));
const LEAK_GZ = path.join(dir, 'close-wait-leak.pcap.gz');
writeFileSync(LEAK_GZ, gzipSync(readFileSync(LEAK)));

/** Runs a bash command line with $CLI set to the built command line. */
function sh(script: string, input?: Buffer) {
  const r = spawnSync('bash', ['-c', script], { cwd: ROOT, input, encoding: 'utf8', timeout: 30_000, env: { ...process.env, CLI: `node ${CLI}`, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

/** Records without the fields that name the input, and without the merge state (kept for files, not for streams); warnings without the file name they begin with. */
function anonymous(stdout: string) {
  return records(stdout).map(({ file: _file, last_file: _lastFile, files: _files, ...rest }) =>
    rest.warnings ? { ...rest, warnings: (rest.warnings as string[]).map((w) => w.replace(/^\S+ begins/, 'FILE begins')) } : rest);
}

function records(stdout: string) {
  return ndjsonLines(stdout).filter((o) => o.type !== 'merge_state');
}

const fromFile = sh(`$CLI analyze --format ndjson ${LEAK}`);

test('analyze <(zcat x.pcap.gz) reads the pipe: the records of the file, in text and NDJSON, exit 0', (t) => {
  t.is(fromFile.status, 0, fromFile.stderr);
  const ndjson = sh(`$CLI analyze --format ndjson <(gzip -dc ${LEAK_GZ})`);
  t.is(ndjson.status, 0, ndjson.stderr);
  t.is(ndjson.signal, null, 'no hang');
  t.deepEqual(anonymous(ndjson.stdout), anonymous(fromFile.stdout));
  t.true(contractCheck(ndjson.stdout).ok);
  const text = sh(`$CLI analyze <(gzip -dc ${LEAK_GZ})`);
  t.is(text.status, 0, text.stderr);
  t.is(text.stdout, sh(`$CLI analyze ${LEAK}`).stdout);
});

test('several pipes are probed without being consumed, and put in the time order of their first packets', (t) => {
  const r = sh(`$CLI analyze --format ndjson <(cat ${CLIENT_CLOSE}) <(gzip -dc ${LEAK_GZ})`);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(anonymous(r.stdout), anonymous(sh(`$CLI analyze --format ndjson ${CLIENT_CLOSE} ${LEAK}`).stdout));
  t.deepEqual(ndjsonLines(r.stdout).at(-1)!.files, ['/dev/fd/62', '/dev/fd/63']);
});

test('a pipe that is no capture is refused before any output, naming its first bytes', (t) => {
  const r = sh(`$CLI analyze --format ndjson ${LEAK} <(echo hello world)`);
  t.is(r.status, 2);
  t.is(r.stdout, '');
  t.regex(r.stderr, /^tcp-lifecycle: \/dev\/fd\/\d+: not a pcap or pcapng file \(starts with 0x68656c6c\)\n$/);
});

test('--jobs reads a pipe once, as one thread does: the records of the file', (t) => {
  const r = sh(`$CLI analyze --jobs 2 --format ndjson <(cat ${LEAK})`);
  t.is(r.status, 0, r.stderr);
  const sorted = (stdout: string) => anonymous(stdout).map((o) => JSON.stringify(o)).sort();
  t.deepEqual(sorted(r.stdout), sorted(fromFile.stdout));
});

test('cat a.pcap b.pcapng c.pcap | analyze - reads three successive captures: the records of the files read one after another', (t) => {
  // In time order, as files are read: a big-endian pcap, a pcapng of two sections, a little-endian pcap.
  const parts = [BIG_ENDIAN, SECTIONS, LEAK];
  const r = sh('$CLI analyze --format ndjson -', Buffer.concat(parts.map((p) => readFileSync(p))));
  t.is(r.status, 0, r.stderr);
  const files = sh(`$CLI analyze --format ndjson ${parts.join(' ')}`);
  const pick = (stdout: string) => records(stdout).map((o) => (o.type === 'summary' ? [o.packets, o.connections, o.states_at_end, o.counts] : o.id));
  t.deepEqual(pick(r.stdout), pick(files.stdout));
  t.is(ndjsonLines(r.stdout).at(-1)!.packets, 23 + 90 + 93);
});

/** Starts the command line on a FIFO it is given by name. */
function startOnFifo(args: string[]) {
  const fifo = path.join(mkdtempSync(path.join(tmpdir(), 'fifo-')), 'capture');
  spawnSync('mkfifo', [fifo]);
  return { fifo, ...startCli([...args, fifo]) };
}

test('a FIFO given by name is read once to its end: the records of the file, no hang', async (t) => {
  const run = startOnFifo(['analyze', '--format', 'ndjson']);
  const writer = await open(run.fifo, 'w'); // resolves once the command opened the FIFO
  await writer.writeFile(readFileSync(LEAK));
  await writer.close();
  t.is(await run.exit, 0, run.err());
  t.deepEqual(anonymous(run.out()), anonymous(fromFile.stdout));
});

test('Ctrl-C while a FIFO sends nothing stops at once: exit 130, the summary says where reading stopped', async (t) => {
  const run = startOnFifo(['analyze', '--format', 'ndjson']);
  const writer = await open(run.fifo, 'w');
  run.child.kill('SIGINT');
  t.is(await run.exit, 130, run.err());
  await writer.close();
  const summary = ndjsonLines(run.out()).at(-1)!;
  t.is(summary.type, 'summary');
  t.regex(summary.warnings[0], /^interrupted: .*capture was read up to byte 0/);
});

test('diff OLD - reads standard input, a capture or an earlier NDJSON analysis, as it reads a file (it exited 70)', (t) => {
  const expected = sh(`$CLI diff ${CLIENT_CLOSE} ${LEAK}`);
  t.is(expected.status, 1, expected.stderr); // they differ
  const rows = (stdout: string) => stdout.split('\n').slice(1);
  const captureOnStdin = sh(`$CLI diff ${CLIENT_CLOSE} -`, readFileSync(LEAK));
  t.is(captureOnStdin.status, 1, captureOnStdin.stderr);
  t.deepEqual(rows(captureOnStdin.stdout), rows(expected.stdout));
  t.regex(captureOnStdin.stdout, /^.*client-close\.pcap -> -\n/);
  const ndjsonOnStdin = sh(`$CLI diff ${CLIENT_CLOSE} -`, Buffer.from(fromFile.stdout));
  t.is(ndjsonOnStdin.status, 1, ndjsonOnStdin.stderr);
  t.deepEqual(rows(ndjsonOnStdin.stdout), rows(expected.stdout));
  const pipe = sh(`$CLI diff <(cat ${CLIENT_CLOSE}) <(gzip -dc ${LEAK_GZ})`);
  t.deepEqual(rows(pipe.stdout), rows(expected.stdout));
  const empty = sh(`$CLI diff ${CLIENT_CLOSE} - < /dev/null`);
  t.is(empty.status, 2);
  t.is(empty.stderr, 'tcp-lifecycle: <stdin>: empty file\n');
});
