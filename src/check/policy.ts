/**
 * The check policy: limits per anomaly or finding code, overall or per
 * endpoint, states forbidden at the end, the severity that fails a run, and
 * how far counts may grow past a baseline.
 *
 * { "max": { "close_wait_stuck": 0, "reset": 5 },
 *   "per_endpoint": { "10.0.0.5:8080": { "reset": 0 }, "10.0.0.9": { "syn_unanswered": 0 } },
 *   "forbid_states_at_end": ["CLOSE_WAIT"],
 *   "fail_on": "warning",
 *   "baseline_tolerance": { "default": 0, "retransmissions": "20%" } }
 *
 * Every name is checked against the one list it comes from (codes in
 * rules/codes.ts, states in state/states.ts), and a value that does not fit
 * is named as typed, with the key or line where it stands.
 */
import { readFileSync } from 'node:fs';
import { ANOMALY_CODES, FINDING_CODES, SEVERITIES } from '../rules/codes.js';
import { stateNamed, TCP_STATES, type TcpState } from '../state/states.js';
import { policyEndpoint } from './endpoint-key.js';
import { didYouMean } from './suggest.js';

export const CODES: readonly string[] = [...ANOMALY_CODES, ...FINDING_CODES];
const CODE_SET: ReadonlySet<string> = new Set(CODES);

export type Tolerance = { absolute: number } | { percent: number };
export type FailOn = Exclude<(typeof SEVERITIES)[number], 'info'>;

export interface Policy {
  /** code -> most allowed in the whole capture. */
  max: Map<string, number>;
  /** endpoint (`ip:port`, or a host `ip`) -> code -> most allowed there. */
  perEndpoint: Map<string, Map<string, number>>;
  forbidStatesAtEnd: TcpState[];
  failOn?: FailOn;
  /** code (or `default`) -> growth allowed past the baseline. */
  tolerance: Map<string, Tolerance>;
  /** The rules are the documented defaults: no policy file, rule flag or baseline was given. */
  defaults: boolean;
}

/** A policy, a rule flag or an earlier analysis that cannot be used: exit 2, one line naming where. */
export class CheckError extends Error {
  override name = 'CheckError';
}

export function emptyPolicy(): Policy {
  return { max: new Map(), perEndpoint: new Map(), forbidStatesAtEnd: [], tolerance: new Map(), defaults: false };
}

/**
 * The default rules, when nothing else says what fails: any finding of
 * severity warning or critical (README, "Use it in CI").
 */
export function defaultPolicy(): Policy {
  return { ...emptyPolicy(), failOn: 'warning', defaults: true };
}
export const DEFAULT_RULES = 'fail on any finding of severity warning or critical';

/** A state name as the policy or `--forbid-state` gives it: netstat names, or ss spellings of the same states. */
export function forbiddenState(name: unknown, where: string): TcpState {
  const state = typeof name === 'string' ? stateNamed(name) : undefined;
  if (state === undefined) throw new CheckError(`${where}: unknown state ${JSON.stringify(name)}${didYouMean(String(name), TCP_STATES)}`);
  return state;
}

/** How messages show a number: as the policy typed it (1e400, not null), when its text can be found. */
function typedNumber(text: string, key: string, value: number): string {
  const escaped = JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const m of text.matchAll(new RegExp(`${escaped}\\s*:\\s*(-?\\d[\\d.eE+-]*)`, 'g'))) {
    if (Object.is(Number(m[1]), value)) return m[1]!;
  }
  return JSON.stringify(value);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

class PolicyReader {
  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  fail(message: string): never {
    throw new CheckError(`${this.file}: ${message}`);
  }

  code(code: string, where: string): string {
    if (!CODE_SET.has(code)) this.fail(`${where}.${code}: unknown code${didYouMean(code, CODES)}`);
    return code;
  }

  /** A whole number >= 0, named as typed when it is not one. */
  count(value: unknown, key: string, where: string): number {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
    const shown = typeof value === 'number' ? typedNumber(this.text, key, value) : JSON.stringify(value);
    return this.fail(`${where}: must be a whole number >= 0, got ${shown}`);
  }

  limits(value: unknown, where: string): Map<string, number> {
    if (!isObject(value)) this.fail(`${where} must be an object of code: number`);
    const out = new Map<string, number>();
    for (const [code, n] of Object.entries(value)) out.set(this.code(code, where), this.count(n, code, `${where}.${code}`));
    return out;
  }

  tolerance(value: unknown, code: string): Tolerance {
    const where = `baseline_tolerance.${code}`;
    if (typeof value === 'string') {
      const pct = /^(\d+(?:\.\d+)?)%$/.exec(value);
      if (pct && Number.isFinite(Number(pct[1]))) return { percent: Number(pct[1]) };
    } else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return { absolute: value };
    const shown = typeof value === 'number' ? typedNumber(this.text, code, value) : JSON.stringify(value);
    return this.fail(`${where}: a whole number or a percentage such as "20%", got ${shown}`);
  }
}

const KEYS = ['max', 'per_endpoint', 'forbid_states_at_end', 'fail_on', 'baseline_tolerance'];

export function parsePolicy(text: string, file: string): Policy {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const pos = /position (\d+)/.exec(message);
    if (!pos) throw new CheckError(`${file}: invalid JSON (${message})`);
    const before = text.slice(0, Number(pos[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    throw new CheckError(`${file}: line ${line}, column ${column}: invalid JSON (${message})`);
  }
  const read: PolicyReader = new PolicyReader(text, file); // typed, so that read.fail() ends control flow
  if (!isObject(raw)) read.fail('the policy must be a JSON object');
  const policy = emptyPolicy();
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'max') policy.max = read.limits(value, 'max');
    else if (key === 'per_endpoint') {
      if (!isObject(value)) read.fail('per_endpoint must be an object of endpoint: { code: number }');
      for (const [name, limits] of Object.entries(value)) {
        const endpoint = policyEndpoint(name);
        if (endpoint === undefined) read.fail(`per_endpoint: ${JSON.stringify(name)} is no endpoint: write ip:port, [ip6]:port or ip`);
        const known = policy.perEndpoint.get(endpoint) ?? new Map<string, number>();
        for (const [code, n] of read.limits(limits, `per_endpoint.${name}`)) known.set(code, n);
        policy.perEndpoint.set(endpoint, known);
      }
    } else if (key === 'forbid_states_at_end') {
      if (!Array.isArray(value)) read.fail('forbid_states_at_end must be a list of state names');
      policy.forbidStatesAtEnd = value.map((s) => forbiddenState(s, `${file}: forbid_states_at_end`));
    } else if (key === 'fail_on') {
      if (value !== 'warning' && value !== 'critical') read.fail(`fail_on must be "warning" or "critical", got ${JSON.stringify(value)}`);
      policy.failOn = value;
    } else if (key === 'baseline_tolerance') {
      if (!isObject(value)) read.fail('baseline_tolerance must be an object of code: number or percentage');
      for (const [code, t] of Object.entries(value)) policy.tolerance.set(code === 'default' ? code : read.code(code, 'baseline_tolerance'), read.tolerance(t, code));
    } else read.fail(`unknown key ${key}${didYouMean(key, KEYS)}`);
  }
  return policy;
}

export function loadPolicy(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CheckError(`${file}: cannot read the policy (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parsePolicy(text, file);
}

/** The rule flags, on top of the file: `--max CODE=N`, `--forbid-state STATE`, `--fail-on SEVERITY`. */
export function addRuleFlags(policy: Policy, flags: { max: string[]; forbidStates: string[]; failOn?: FailOn | undefined }): void {
  for (const flag of flags.max) {
    const m = /^([^=]*)=(.*)$/.exec(flag);
    if (!m) throw new CheckError(`--max ${flag}: expected CODE=N`);
    const code = m[1]!;
    const n = m[2]!;
    if (!CODE_SET.has(code)) throw new CheckError(`--max ${flag}: unknown code${didYouMean(code, CODES)}`);
    if (!/^\d+$/.test(n) || !Number.isSafeInteger(Number(n))) throw new CheckError(`--max ${flag}: ${n} is not a whole number >= 0`);
    policy.max.set(code, Number(n));
  }
  for (const name of flags.forbidStates) {
    const state = forbiddenState(name, '--forbid-state');
    if (!policy.forbidStatesAtEnd.includes(state)) policy.forbidStatesAtEnd.push(state);
  }
  if (flags.failOn) policy.failOn = flags.failOn;
}
