/**
 * Live input (`tcpdump -U -w - | tcp-lifecycle analyze --format ndjson -`):
 * records leave as they become final while the pipe stays open, and a pause
 * of the input lets capture time follow the wall clock.
 */
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CAPTURES, PUBLIC_CAPTURES } from '../helpers/paths.js';
import { cli, contractCheck, ndjsonLines, startCli } from '../helpers/cli.js';

/** The command line reading a pipe that the test holds open; ended with the test whatever happens. */
function live(t: ExecutionContext, args: string[]): ReturnType<typeof startCli> {
  const run = startCli(args);
  t.teardown(() => void run.child.kill('SIGKILL'));
  return run;
}

/** Resolves with the first NDJSON record `match` accepts, as soon as the process writes it; rejects after `ms`. */
function recordWhere(run: ReturnType<typeof startCli>, match: (r: Record<string, any>) => boolean, ms: number): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no such record within ${ms} ms; stdout so far: ${run.out()}`)), ms);
    const look = (): void => {
      const found = run.out().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>).find(match);
      if (!found) return;
      clearTimeout(timer);
      run.child.stdout.off('data', look);
      resolve(found);
    };
    run.child.stdout.on('data', look);
  });
}

test('a refused connection is written while the pipe stays open', async (t) => {
  const run = live(t, ['analyze', '--format', 'ndjson', '-']);
  run.child.stdin.write(readFileSync(path.join(CAPTURES, 'refused.pcap'))); // and tcpdump keeps the pipe open
  const refused = await recordWhere(run, (r) => r.type === 'connection' && r.opening === 'rejected', 10_000);
  t.is(refused.client_state, 'CLOSED');
  t.is(refused.server_state, 'CLOSED');
  t.is(run.child.exitCode, null, 'still running: the input is open');
  run.child.stdin.end();
  t.is(await run.exit, 0, run.err());
  const check = contractCheck(run.out());
  t.true(check.ok, check.output);
  t.is(run.out().match(/"type":"connection"/g)?.length, 1, 'written once, not again at the end');
});

test('a pause of the input counts as capture time: a closed connection leaves once its TIME_WAIT ran out', async (t) => {
  const run = live(t, ['analyze', '--format', 'ndjson', '--time-wait', '1', '-']);
  run.child.stdin.write(readFileSync(path.join(CAPTURES, 'client-close.pcap')));
  const closed = await recordWhere(run, (r) => r.type === 'connection', 10_000);
  t.is(closed.client_state, 'CLOSED', 'TIME_WAIT aged out on the wall clock');
  t.true(closed.transitions.some((x: any) => x.from === 'TIME_WAIT' && x.to === 'CLOSED' && x.inferred));
  run.child.stdin.end();
  t.is(await run.exit, 0, run.err());
});

test('SIGTERM finishes like the first Ctrl-C: what was read, the summary saying where reading stopped, exit 143', async (t) => {
  const run = live(t, ['analyze', '--format', 'ndjson', '--progress', '-']);
  run.child.stdin.write(readFileSync(path.join(CAPTURES, 'close-wait-leak.pcap')));
  await new Promise<void>((resolve) => {
    const look = (): void => void (/\b93 packets/.test(run.err()) && (run.child.stderr.off('data', look), resolve()));
    run.child.stderr.on('data', look);
  });
  run.child.kill('SIGTERM');
  t.is(await run.exit, 143, run.err());
  t.regex(run.err(), /terminated: finishing with what was read/);
  const records = run.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
  t.is(records.filter((r) => r.type === 'connection').length, 8);
  t.true(records.some((r) => r.type === 'finding' && r.code === 'close_wait_leak'));
  const summary = records.at(-1)!;
  t.is(summary.type, 'summary');
  t.true(summary.warnings.some((w: string) => /^interrupted: <stdin> was read up to byte \d+/.test(w)), summary.warnings.join('; '));
  t.true(contractCheck(run.out()).ok);
});

test('a packet that comes after its connection went out starts no new connection: it is counted as late', async (t) => {
  // A RST injection (Zeek's trace): the server's RST, the client's data still in flight, then a second RST 1.3 s later.
  const capture = readFileSync(path.join(PUBLIC_CAPTURES, 'zeek-tcp-rst-inject-rae.pcap'));
  const [live, file] = await Promise.all([
    cli(['analyze', '--format', 'ndjson', '-'], { input: capture }),
    cli(['analyze', '--format', 'ndjson', path.join(PUBLIC_CAPTURES, 'zeek-tcp-rst-inject-rae.pcap')]),
  ]);
  const connections = (stdout: string) => ndjsonLines(stdout).filter((r) => r.type === 'connection');
  t.is(connections(live.stdout).length, 1, 'one connection, as from the file');
  t.is(connections(file.stdout).length, 1);
  t.is(connections(live.stdout)[0]!.packets + 1, connections(file.stdout)[0]!.packets, 'the late RST is not in the record that went out');
  t.is(ndjsonLines(live.stdout).at(-1)!.counts.late_packets, 1);
});
