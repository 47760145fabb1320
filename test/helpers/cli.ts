/**
 * Runs the command line as a user would: the built `dist/cli.js` (the
 * package's bin), one Node process per call, no TypeScript loader. The tests
 * refuse a build older than the sources, so a forgotten `npm run build`
 * cannot pass on old code.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
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

export function ndjsonLines(text: string): Record<string, any>[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, any>);
}
