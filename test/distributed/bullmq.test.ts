/**
 * Across machines on BullMQ over a real redis-server (started here on a
 * loopback port): three worker processes analyze a capture cut into files,
 * one of them stopped dead in the middle of a job, whose job another worker
 * takes over; submit's output equals the analysis of the files in one
 * process. A job that keeps failing fails the run, naming its file.
 */
import test from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OutputRecord } from '../../src/records.js';
import { cli, runCli, startCli } from '../helpers/cli.js';
import { CAPTURES } from '../helpers/paths.js';

const hasRedis = spawnSync('sh', ['-c', 'command -v redis-server']).status === 0;
const dir = mkdtempSync(path.join(tmpdir(), 'bullmq-'));

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

/** Resolves once `text` has appeared in what `read` returns. */
async function seen(read: () => string, text: string | RegExp, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!(typeof text === 'string' ? read().includes(text) : text.test(read()))) {
    if (Date.now() - start > timeoutMs) throw new Error(`not seen within ${timeoutMs} ms: ${String(text)}\n${read()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let redis: ChildProcess | undefined;
let url = '';
const workers: ReturnType<typeof startCli>[] = [];

test.before(async () => {
  if (!hasRedis) return;
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let log = '';
  redis.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  await seen(() => log, 'Ready to accept connections');
  url = `redis://127.0.0.1:${port}`;
});

test.after.always(() => {
  for (const w of workers) w.child.kill('SIGKILL');
  redis?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A little-endian classic pcap cut into files of `per` records. */
function cut(file: string, per: number): string[] {
  const b = readFileSync(file);
  const offsets: number[] = [];
  for (let o = 24; o + 16 <= b.length; o += 16 + b.readUInt32LE(o + 8)) offsets.push(o);
  const out: string[] = [];
  for (let i = 0; i * per < offsets.length; i++) {
    const name = path.join(dir, `${path.basename(file, '.pcap')}-${i}.pcap`);
    writeFileSync(name, Buffer.concat([b.subarray(0, 24), b.subarray(offsets[i * per]!, offsets[(i + 1) * per] ?? b.length)]));
    out.push(name);
  }
  return out;
}

/** Records as sorted JSON, without the fields that name a frame within a file, nor the merge state. */
function comparable(ndjson: string): string[] {
  return ndjson.trim().split('\n').flatMap((line) => {
    const r = JSON.parse(line) as OutputRecord | { type: 'merge_state' };
    if (r.type === 'connection') {
      const { first_frame: _f, last_frame: _l, ...rest } = r;
      return [JSON.stringify({ ...rest, anomalies: rest.anomalies.map(({ frame: _a, ...a }) => a), transitions: rest.transitions.map(({ frame: _t, ...t }) => t) })];
    }
    if (r.type === 'finding') return [JSON.stringify({ ...r, examples: r.examples.map(({ first_frame: _f, last_frame: _l, ...e }) => e) })];
    return r.type === 'summary' ? [JSON.stringify(r)] : [];
  }).sort();
}

test.serial('three workers, one stopped dead part-way: its job is taken over, and submit writes one process\'s analysis', async (t) => {
  if (!hasRedis) return t.pass('redis-server is not installed (.ci/run installs it)');
  for (let i = 0; i < 3; i++) workers.push(startCli(['worker', '--redis', url, '--lock-timeout', '2']));
  for (const w of workers) await seen(w.err, 'waiting for jobs');
  const files = cut(path.join(CAPTURES, 'time-wait-storm.pcap'), 400);
  const run = startCli(['submit', '--redis', url, '--format', 'ndjson', ...files]);
  // The first worker seen at a job is stopped (it can no longer renew its lock), then killed.
  await seen(() => workers.map((w) => w.err()).join(''), /analyzing (\S+)/);
  const victim = workers.find((w) => /analyzing (\S+)/.test(w.err()))!;
  victim.child.kill('SIGSTOP');
  const taken = /analyzing (\S+)/.exec(victim.err())![1]!;
  const code = await run.exit;
  victim.child.kill('SIGKILL');
  t.is(code, 0, run.err());
  const others = workers.filter((w) => w !== victim).map((w) => w.err()).join('');
  t.true(others.includes(`analyzing ${taken}`), `another worker took ${taken} over:\n${others}`);
  t.deepEqual(comparable(run.out()), comparable(runCli(['analyze', '--format', 'ndjson', ...files]).stdout));
  t.regex(run.err(), /submitting \d+ file\(s\) to redis:\/\/127\.0\.0\.1:\d+/);
});

test.serial('a job that keeps failing fails the run with its file named, exit 2', async (t) => {
  if (!hasRedis) return t.pass('redis-server is not installed (.ci/run installs it)');
  for (const w of workers.splice(0)) w.child.kill('SIGKILL');
  const capture = path.join(dir, 'gone.pcap');
  copyFileSync(path.join(CAPTURES, 'client-close.pcap'), capture);
  const run = startCli(['submit', '--redis', url, '--progress', capture]);
  await seen(run.err, '0 of 1 file(s) analyzed');
  rmSync(capture); // queued, and gone before any worker reads it
  const worker = startCli(['worker', '--redis', url, '--lock-timeout', '2']);
  workers.push(worker);
  const code = await run.exit;
  t.is(code, 2, run.err());
  t.regex(run.err(), new RegExp(`${capture.replace(/[.]/g, '\\.')}: its analysis failed on every one of 3 attempts: .*no such file`));
  t.is(run.out(), '');
});

test.serial('worker and submit refuse what is no Redis URL or no capture, exit 2', (t) => {
  const worker = runCli(['worker', '--redis', 'localhost:6379']);
  t.is(worker.status, 2);
  t.regex(worker.stderr, /--redis localhost:6379: not a Redis URL/);
  const submit = runCli(['submit', '--redis', url || 'redis://127.0.0.1:1', path.join(CAPTURES, 'scenarios.json')]);
  t.is(submit.status, 2);
  t.regex(submit.stderr, /scenarios\.json: not a pcap or pcapng file/);
});

test('without the BullMQ packages installed, worker and submit say which to install, exit 2', async (t) => {
  const { loadDistributed } = await import('../../src/cli/distributed.js');
  const missing = Object.assign(new Error("Cannot find package 'bullmq' imported from dist/distributed/worker.js"), { code: 'ERR_MODULE_NOT_FOUND' });
  const error = await t.throwsAsync(loadDistributed(() => Promise.reject(missing), 'worker'));
  t.is(error?.name, 'UsageError');
  t.is(error?.message, 'worker runs on BullMQ over Redis: install its packages beside tcp-lifecycle (npm install bullmq@6 ioredis@5)');
});

test('with no Redis at the URL, submit and worker say so in one line and exit 2: no stack traces, no hang, nothing left beside the capture', async (t) => {
  const port = await freePort(); // nothing listens there
  const capture = path.join(dir, 'unreached', 'client-close.pcap');
  mkdirSync(path.dirname(capture), { recursive: true });
  copyFileSync(path.join(CAPTURES, 'client-close.pcap'), capture);
  const started = Date.now();
  const [submit, worker] = await Promise.all([
    cli(['submit', '--redis', `redis://127.0.0.1:${port}`, capture]),
    cli(['worker', '--redis', `redis://user:secret@127.0.0.1:${port}`]),
  ]);
  t.true(Date.now() - started < 30_000, 'no endless retrying');
  t.is(submit.status, 2, submit.stderr);
  t.regex(submit.stderr, new RegExp(`^tcp-lifecycle: redis://127\\.0\\.0\\.1:${port}: cannot reach Redis: .*ECONNREFUSED.*\\n$`));
  t.is(submit.stdout, '');
  t.deepEqual(readdirSync(path.dirname(capture)), ['client-close.pcap'], 'no work directory made for a run never queued');
  t.is(worker.status, 2, worker.stderr);
  t.regex(worker.stderr, new RegExp(`^tcp-lifecycle: cannot work for redis://user:\\*\\*\\*@127\\.0\\.0\\.1:${port}: cannot reach Redis: .*ECONNREFUSED.*\\n$`), 'one line, the password not shown');
});

test.serial('a worker whose Redis goes away says so once, and SIGTERM still stops it: exit 143', async (t) => {
  if (!hasRedis) return t.pass('redis-server is not installed (.ci/run installs it)');
  const port = await freePort();
  const own = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let log = '';
  own.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  await seen(() => log, 'Ready to accept connections');
  const worker = startCli(['worker', '--redis', `redis://127.0.0.1:${port}`]);
  workers.push(worker);
  await seen(worker.err, 'waiting for jobs');
  own.kill('SIGKILL');
  await seen(worker.err, /Redis: .*ECONNREFUSED.*\(retrying\)/);
  await new Promise((r) => setTimeout(r, 3000)); // ioredis retries meanwhile
  worker.child.kill('SIGTERM');
  t.is(await worker.exit, 143, worker.err());
  t.is(worker.err().match(/ECONNREFUSED/g)?.length, 1, `said once:\n${worker.err()}`);
  t.notRegex(worker.err(), /^\s+at /m, 'no stack trace');
});

test.serial('Ctrl-C on submit leaves the run\'s jobs in the queue, writes nothing and exits 130', async (t) => {
  if (!hasRedis) return t.pass('redis-server is not installed (.ci/run installs it)');
  const port = await freePort();
  const own = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let log = '';
  own.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  try {
    await seen(() => log, 'Ready to accept connections');
    const capture = path.join(dir, 'interrupted.pcap');
    copyFileSync(path.join(CAPTURES, 'client-close.pcap'), capture);
    const run = startCli(['submit', '--redis', `redis://127.0.0.1:${port}`, '--progress', capture]);
    await seen(run.err, '0 of 1 file(s) analyzed'); // queued; no worker takes it
    run.child.kill('SIGINT');
    t.is(await run.exit, 130, run.err());
    t.is(run.out(), '');
    t.regex(run.err(), /the run's jobs stay in the queue; its files are in .*\.tcp-lifecycle-run-/);
    const keys = spawnSync('redis-cli', ['-p', String(port), 'keys', 'bull:tcp-lifecycle:*'], { encoding: 'utf8' }).stdout;
    t.regex(keys, /bull:tcp-lifecycle:wait|bull:tcp-lifecycle:waiting-children/, keys);
  } finally {
    own.kill('SIGKILL');
  }
});
