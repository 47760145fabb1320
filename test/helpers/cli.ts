/**
 * Runs the command line as a user would: the built `dist/cli.js` (the
 * package's bin), one Node process per call, no TypeScript loader. The tests
 * refuse a build older than the sources, so a forgotten `npm run build`
 * cannot pass on old code.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, CONTRACT_CHECK, ROOT } from './paths.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(file) : statSync(file).mtimeMs);
  }
  return newest;
}

let checked = false;
function assertBuilt(): void {
  if (checked) return;
  const built = statSync(CLI, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (built < newestSource(path.join(ROOT, 'src'))) throw new Error(`${CLI} is older than src/: run npm run build`);
  checked = true;
}

export function runCli(args: string[], options: { input?: Buffer | string; env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): CliResult {
  assertBuilt();
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    input: options.input,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: options.timeoutMs ?? 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** runCli without blocking the test worker: tests of one file run side by side. */
export function cli(args: string[], options: { input?: Buffer | string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.on('error', () => {}); // a command that exits before reading its input
    child.stdin.end(options.input);
  });
}

/** Starts the command line with pipes on all three streams, for tests that feed it over time or signal it. */
export function startCli(args: string[], options: { env?: NodeJS.ProcessEnv } = {}) {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exit, out: () => stdout, err: () => stderr };
}

/** Runs ../shared/contract-check.mjs over NDJSON text; returns its verdict line and exit status. */
export function contractCheck(ndjson: string): { ok: boolean; output: string } {
  const result = spawnSync(process.execPath, [CONTRACT_CHECK], { input: ndjson, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { ok: result.status === 0, output: (result.stdout + result.stderr).trim() };
}

/**
 * Checks the NDJSON of several runs with one run of the contract check: each
 * output must end with its summary, counting its connections (checked here),
 * and all their records, followed by one summary that adds them up, go
 * through ../shared/contract-check.mjs together.
 */
export function contractCheckRuns(outputs: string[]): { ok: boolean; output: string } {
  const total = { type: 'summary', packets: 0, tcp_packets: 0, connections: 0, findings: 0, states_at_end: {} as Record<string, number> };
  const problems: string[] = [];
  outputs.forEach((text, i) => {
    const records = ndjsonLines(text);
    const summary = records.at(-1);
    if (summary?.type !== 'summary') return void problems.push(`run ${i + 1}: the last line is not the summary`);
    const connections = records.filter((r) => r.type === 'connection').length;
    if (summary.connections !== connections) problems.push(`run ${i + 1}: the summary says ${summary.connections} connections, ${connections} came`);
    for (const key of ['packets', 'tcp_packets', 'connections', 'findings'] as const) total[key] += summary[key];
    for (const [state, n] of Object.entries(summary.states_at_end as Record<string, number>)) total.states_at_end[state] = (total.states_at_end[state] ?? 0) + n;
  });
  const verdict = contractCheck(outputs.join('') + JSON.stringify(total) + '\n');
  return { ok: verdict.ok && problems.length === 0, output: [...problems, verdict.output].join('\n') };
}

/** Runs `task` over `items`, at most `width` at a time (the machine has two cores). */
export async function inTurns<T, R>(items: T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  }));
  return results;
}

export function ndjsonLines(text: string): Record<string, any>[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, any>);
}

type Main = (args: string[]) => Promise<number>;
let mainOfBuild: Promise<Main> | undefined;
let inProcessTurn: Promise<unknown> = Promise.resolve();

/**
 * The built command line's `main` run in this process, for a usage error
 * that ends before any capture is read: the same exit code and stderr as a
 * process, without a process's start. One call at a time, its writes to
 * stdout and stderr captured, and the listeners it leaves on the process
 * (signals, the stdout error handler) removed after it.
 */
export function cliInProcess(args: string[]): Promise<CliResult> {
  assertBuilt();
  mainOfBuild ??= import(pathToFileURL(path.join(ROOT, 'dist/cli/main.js')).href).then((m: { main: Main }) => m.main);
  const run = inProcessTurn.then(async () => {
    const main = await mainOfBuild!;
    const captured = { stdout: '', stderr: '' };
    const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
    const listeners = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM'), error: process.stdout.listeners('error') };
    for (const name of ['stdout', 'stderr'] as const) {
      process[name].write = ((chunk: string | Uint8Array) => ((captured[name] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')), true)) as typeof process.stdout.write;
    }
    try {
      const status = await main(args);
      return { status, ...captured };
    } finally {
      process.stdout.write = writes.stdout;
      process.stderr.write = writes.stderr;
      for (const signal of ['SIGINT', 'SIGTERM'] as const) for (const l of process.listeners(signal)) if (!listeners[signal].includes(l)) process.off(signal, l);
      for (const l of process.stdout.listeners('error')) if (!listeners.error.includes(l)) process.stdout.off('error', l as (error: Error) => void);
    }
  });
  inProcessTurn = run.catch(() => {});
  return run;
}
