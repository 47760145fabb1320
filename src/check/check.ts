/**
 * `check`: the rules of a policy (or the default rules) and a baseline,
 * evaluated over an analysis; each rule passes or fails with the
 * violations found, written as text, JUnit XML (a test case per rule) or
 * NDJSON (the analysis, a violation per broken rule, the verdict, the
 * summary last). Exit 0 passed, 1 failed.
 */
import { createReadStream } from 'node:fs';
import type { FindingExample, OutputRecord } from '../records.js';
import { readAnalysis } from './analysis-file.js';
import { addRuleFlags, CODES, DEFAULT_RULES, defaultPolicy, emptyPolicy, loadPolicy, type FailOn, type Policy } from './policy.js';
import { Tally } from './tally.js';

export interface Violation {
  rule: string;
  code: string;
  endpoint?: string;
  count: number;
  limit: number;
  examples: FindingExample[];
  message: string;
}

/** A rule evaluated, and how it was broken (none: it passed). */
export interface RuleResult {
  name: string;
  violations: Violation[];
}

/**
 * The policy from its file and the rule flags; with none of them and no
 * baseline, the default rules.
 */
export function checkPolicy(given: { policyFile?: string | undefined; max: string[]; forbidStates: string[]; failOn?: FailOn | undefined; baseline: boolean }): Policy {
  const ruleFlags = given.max.length > 0 || given.forbidStates.length > 0 || given.failOn !== undefined;
  if (given.policyFile === undefined && !ruleFlags && !given.baseline) return defaultPolicy();
  const policy = given.policyFile === undefined ? emptyPolicy() : loadPolicy(given.policyFile);
  addRuleFlags(policy, given);
  return policy;
}

/** An earlier analysis, counted; `-` reads standard input. */
export async function readBaseline(file: string): Promise<Tally> {
  const tally = new Tally();
  await readAnalysis(file === '-' ? '<stdin>' : file, file === '-' ? process.stdin : createReadStream(file), (r) => tally.add(r));
  return tally;
}

function allowedGrowth(policy: Policy, code: string, before: number): number {
  const tolerance = policy.tolerance.get(code) ?? policy.tolerance.get('default') ?? { absolute: 0 };
  return 'percent' in tolerance ? Math.floor((before * tolerance.percent) / 100) : tolerance.absolute;
}

export function evaluate(t: Tally, policy: Policy, baseline?: Tally): RuleResult[] {
  const rules: RuleResult[] = [];
  for (const [code, limit] of policy.max) {
    const count = t.total.get(code) ?? 0;
    rules.push({
      name: `max.${code}`,
      violations: count > limit ? [{ rule: `max.${code}`, code, count, limit, examples: t.examplesOf(code), message: `${count} ${code}, at most ${limit} allowed` }] : [],
    });
  }
  for (const [endpoint, limits] of policy.perEndpoint) {
    for (const [code, limit] of limits) {
      const name = `per_endpoint.${endpoint}.${code}`;
      const key = `${code}|${endpoint}`;
      const count = t.perEndpoint.get(key) ?? 0;
      rules.push({ name, violations: count > limit ? [{ rule: name, code, endpoint, count, limit, examples: t.examplesOf(key), message: `${endpoint}: ${count} ${code}, at most ${limit} allowed` }] : [] });
    }
  }
  for (const state of policy.forbidStatesAtEnd) {
    const name = `forbid_states_at_end.${state}`;
    const count = t.summary?.states_at_end[state] ?? 0;
    rules.push({ name, violations: count > 0 ? [{ rule: name, code: state, count, limit: 0, examples: t.examplesOf(state), message: `${count} endpoint(s) end the capture in ${state}` }] : [] });
  }
  if (policy.failOn) {
    const name = `fail_on.${policy.failOn}`;
    const violations: Violation[] = [];
    for (const f of t.findings.values()) {
      if (f.severity === 'critical' || (policy.failOn === 'warning' && f.severity === 'warning')) {
        violations.push({ rule: name, code: f.code, endpoint: f.endpoint, count: f.count, limit: 0, examples: t.examplesOf(`${f.code}|${f.endpoint}`), message: `${f.severity} finding ${f.code} on ${f.endpoint}: ${f.summary}` });
      }
    }
    rules.push({ name, violations });
  }
  if (baseline) {
    const growth = new Map<string, Violation[]>(CODES.map((code) => [code, []]));
    for (const [key, count] of t.perWorkload) {
      const bar = key.indexOf('|');
      const code = key.slice(0, bar);
      const where = key.slice(bar + 1);
      const before = baseline.perWorkload.get(key) ?? 0;
      const limit = before + allowedGrowth(policy, code, before);
      if (count <= limit) continue;
      const message = before === 0 ? `new: ${count} ${code} on ${where}, none in the baseline` : `${code} on ${where} grew from ${before} to ${count} (allowed ${limit})`;
      growth.get(code)?.push({ rule: `baseline.${code}`, code, endpoint: where, count, limit, examples: t.examplesOf(key), message });
    }
    for (const [code, violations] of growth) rules.push({ name: `baseline.${code}`, violations });
  }
  return rules;
}

export interface CheckOptions {
  format: 'text' | 'ndjson' | 'junit';
  policy: Policy;
  baseline?: Tally | undefined;
  out: { write(text: string): unknown };
  /** A promise while the output has more queued than it wants; the check waits on it between batches. */
  room?: () => Promise<void> | undefined;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
// XML 1.0 has no place for most control characters, even escaped.
// eslint-disable-next-line no-control-regex
const xml = (s: string): string => s.replace(/[&<>"]/g, (c) => XML_ESCAPES[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd');
const exampleText = (e: FindingExample): string => `${e.id} ${e.client} -> ${e.server}, frames ${e.first_frame}-${e.last_frame}`;

function junit(rules: RuleResult[], policy: Policy): string {
  const failed = rules.filter((r) => r.violations.length > 0).length;
  const properties = policy.defaults ? `  <properties>\n    <property name="rules" value="default: ${xml(DEFAULT_RULES)}"/>\n  </properties>\n` : '';
  const cases = rules.map(({ name, violations }) => {
    if (violations.length === 0) return `  <testcase classname="tcp-lifecycle" name="${xml(name)}"/>`;
    const message = violations.length === 1 ? violations[0]!.message : `${violations.length} violations: ${violations[0]!.message}; ...`;
    const body = violations.map((v) => [v.message, ...v.examples.map((e) => `  e.g. ${exampleText(e)}`)].join('\n')).join('\n');
    return `  <testcase classname="tcp-lifecycle" name="${xml(name)}"><failure message="${xml(message)}">${xml(body)}</failure></testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="tcp-lifecycle check" tests="${rules.length}" failures="${failed}">\n${properties}${cases.join('\n')}\n</testsuite>\n`;
}

/** Runs the check over an analysis; resolves with the exit code, 0 passed or 1 failed. */
export async function runCheck(batches: AsyncIterable<OutputRecord[]>, opts: CheckOptions): Promise<number> {
  const t = new Tally();
  const ndjson = opts.format === 'ndjson';
  for await (const batch of batches) {
    for (const r of batch) {
      t.add(r);
      // NDJSON is the whole analysis, then the verdict, then the summary last: a complete stream under the contract.
      if (ndjson && r.type !== 'summary') opts.out.write(JSON.stringify(r) + '\n');
    }
    const wait = opts.room?.();
    if (wait) await wait;
  }
  const rules = evaluate(t, opts.policy, opts.baseline);
  const violations = rules.flatMap((r) => r.violations);
  const passed = violations.length === 0;
  if (ndjson) {
    for (const v of violations) opts.out.write(JSON.stringify({ type: 'violation', ...v }) + '\n');
    opts.out.write(JSON.stringify({ type: 'check', passed, violations: violations.length, ...(opts.policy.defaults && { rules: `default: ${DEFAULT_RULES}` }) }) + '\n');
    if (t.summary) opts.out.write(JSON.stringify(t.summary) + '\n');
  } else if (opts.format === 'junit') {
    opts.out.write(junit(rules, opts.policy));
  } else {
    if (opts.policy.defaults) opts.out.write(`default rules: ${DEFAULT_RULES}\n`);
    for (const v of violations) {
      opts.out.write(`FAIL ${v.rule}: ${v.message}\n`);
      for (const e of v.examples) opts.out.write(`  e.g. ${exampleText(e)}\n`);
    }
    opts.out.write(passed ? `check passed: ${rules.length} rule(s)\n` : `check failed: ${violations.length} violation(s) of ${rules.filter((r) => r.violations.length > 0).length} rule(s), ${rules.length} evaluated\n`);
  }
  return passed ? 0 : 1;
}
