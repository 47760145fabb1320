/** Runs the command line as a user would, from the TypeScript sources. */
import { spawnSync } from 'node:child_process';
import { CLI, CONTRACT_CHECK, ROOT } from './paths.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { input?: Buffer | string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): CliResult {
  const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    input: options.input,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: options.timeoutMs ?? 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs ../shared/contract-check.mjs over NDJSON text; returns its verdict line and exit status. */
export function contractCheck(ndjson: string): { ok: boolean; output: string } {
  const result = spawnSync(process.execPath, [CONTRACT_CHECK], { input: ndjson, encoding: 'utf8' });
  return { ok: result.status === 0, output: (result.stdout + result.stderr).trim() };
}

export function ndjsonLines(text: string): Record<string, any>[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, any>);
}
