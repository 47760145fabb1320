/**
 * The check policy: limits per anomaly or finding code, overall or per
 * endpoint, states forbidden at the end, and the severity that fails a run.
 *
 * { "max": { "close_wait_stuck": 0, "reset": 5 },
 *   "per_endpoint": { "10.0.0.5:8080": { "reset": 0 } },
 *   "forbid_states_at_end": ["CLOSE_WAIT"],
 *   "fail_on": "warning",
 *   "baseline_tolerance": { "default": 0, "retransmissions": "20%" } }
 */
import { readFileSync } from 'node:fs';
import { ANOMALY_CODES, FINDING_CODES } from '../rules/codes.js';
import { TCP_STATES } from '../state/states.js';

const CODES = new Set<string>([...ANOMALY_CODES, ...FINDING_CODES]);

export interface Policy {
  max: Record<string, number>;
  perEndpoint: Record<string, Record<string, number>>;
  forbidStatesAtEnd: string[];
  failOn?: 'warning' | 'critical';
  tolerance: Record<string, { absolute: number } | { percent: number }>;
}

export class PolicyError extends Error {
  override name = 'PolicyError';
}

export function emptyPolicy(): Policy {
  return { max: {}, perEndpoint: {}, forbidStatesAtEnd: [], tolerance: {} };
}

function closest(word: string, options: Iterable<string>): string {
  let best = '';
  let bestScore = Infinity;
  for (const o of options) {
    const d = distance(word, o);
    if (d < bestScore) [best, bestScore] = [o, d];
  }
  return bestScore <= 3 ? `; did you mean ${best}?` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function limits(where: string, value: unknown, file: string): Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PolicyError(`${file}: ${where} must be an object of code: number`);
  const out: Record<string, number> = {};
  for (const [code, n] of Object.entries(value)) {
    if (!CODES.has(code)) throw new PolicyError(`${file}: ${where}.${code}: unknown code${closest(code, CODES)}`);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new PolicyError(`${file}: ${where}.${code}: must be a whole number >= 0, got ${JSON.stringify(n)}`);
    out[code] = n;
  }
  return out;
}

export function parsePolicy(text: string, file: string): Policy {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const pos = /position (\d+)/.exec(message);
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      const column = before.length - before.lastIndexOf('\n');
      throw new PolicyError(`${file}: line ${line}, column ${column}: invalid JSON (${message})`);
    }
    throw new PolicyError(`${file}: invalid JSON (${message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new PolicyError(`${file}: the policy must be a JSON object`);
  const policy = emptyPolicy();
  const keys = ['max', 'per_endpoint', 'forbid_states_at_end', 'fail_on', 'baseline_tolerance'];
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'max') policy.max = limits('max', value, file);
    else if (key === 'per_endpoint') {
      if (typeof value !== 'object' || value === null) throw new PolicyError(`${file}: per_endpoint must be an object`);
      for (const [endpoint, l] of Object.entries(value)) policy.perEndpoint[endpoint] = limits(`per_endpoint.${endpoint}`, l, file);
    } else if (key === 'forbid_states_at_end') {
      if (!Array.isArray(value)) throw new PolicyError(`${file}: forbid_states_at_end must be a list of state names`);
      for (const s of value) if (!(TCP_STATES as readonly string[]).includes(s)) throw new PolicyError(`${file}: forbid_states_at_end: unknown state ${JSON.stringify(s)}${closest(String(s), TCP_STATES)}`);
      policy.forbidStatesAtEnd = value as string[];
    } else if (key === 'fail_on') {
      if (value !== 'warning' && value !== 'critical') throw new PolicyError(`${file}: fail_on must be "warning" or "critical"`);
      policy.failOn = value;
    } else if (key === 'baseline_tolerance') {
      if (typeof value !== 'object' || value === null) throw new PolicyError(`${file}: baseline_tolerance must be an object`);
      for (const [code, t] of Object.entries(value)) {
        if (code !== 'default' && !CODES.has(code)) throw new PolicyError(`${file}: baseline_tolerance.${code}: unknown code${closest(code, CODES)}`);
        const pct = typeof t === 'string' ? /^(\d+(?:\.\d+)?)%$/.exec(t) : null;
        if (pct) policy.tolerance[code] = { percent: Number(pct[1]) };
        else if (typeof t === 'number' && t >= 0) policy.tolerance[code] = { absolute: t };
        else throw new PolicyError(`${file}: baseline_tolerance.${code}: a number or a percentage such as "20%"`);
      }
    } else throw new PolicyError(`${file}: unknown key ${key}${closest(key, keys)}`);
  }
  return policy;
}

export function loadPolicy(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicyError(`${file}: cannot read the policy (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parsePolicy(text, file);
}

/** `--max code=N` flags on top of the file. */
export function applyMaxFlags(policy: Policy, flags: string[]): void {
  for (const flag of flags) {
    const m = /^([a-z0-9_]+)=(\d+)$/.exec(flag);
    if (!m) throw new PolicyError(`--max ${flag}: expected CODE=N`);
    if (!CODES.has(m[1]!)) throw new PolicyError(`--max ${flag}: unknown code${closest(m[1]!, CODES)}`);
    policy.max[m[1]!] = Number(m[2]);
  }
}
