/** `check` (policy and baseline, exit 0 or 1) and `diff` (two analyses side by side). */
import { createReadStream } from 'node:fs';
import ndjson from 'ndjson';
import { analyze, type AnalyzeOptions } from '../analyze.js';
import { peekFirstByte } from '../capture/stream-input.js';
import type { FindingExample, OutputRecord } from '../records.js';
import { addToTally, newTally, type Tally } from './tally.js';
import { applyMaxFlags, emptyPolicy, loadPolicy, PolicyError, type Policy } from './policy.js';

export interface Violation {
  rule: string;
  code: string;
  endpoint?: string;
  count: number;
  limit: number;
  examples: FindingExample[];
  message: string;
}

export interface CheckOptions {
  format: 'text' | 'ndjson' | 'junit';
  policyFile?: string;
  baselineFile?: string;
  max: string[];
  forbidStates: string[];
  failOn?: 'warning' | 'critical';
  out: { write(text: string): unknown };
}

/** Reads an earlier `analyze --format ndjson` output; a bad line is an error naming its number. */
export async function readNdjsonRecords(file: string, stream: NodeJS.ReadableStream = createReadStream(file)): Promise<OutputRecord[]> {
  const records: OutputRecord[] = [];
  let line = 0;
  await new Promise<void>((resolve, reject) => {
    stream
      .on('error', (e) => reject(new PolicyError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? e.message})`)))
      .pipe(ndjson.parse({ strict: true }))
      .on('data', (r: OutputRecord) => {
        line++;
        if (typeof r !== 'object' || r === null || typeof (r as { type?: unknown }).type !== 'string') reject(new PolicyError(`${file}: line ${line}: not a record with a type`));
        else records.push(r);
      })
      .on('error', (e: Error) => reject(new PolicyError(`${file}: line ${line + 1}: ${e.message}`)))
      .on('end', () => resolve());
  });
  return records;
}

function tallyOf(records: Iterable<OutputRecord>): Tally {
  const t = newTally();
  for (const r of records) addToTally(t, r);
  return t;
}

function allowedGrowth(policy: Policy, code: string, before: number): number {
  const tol = policy.tolerance[code] ?? policy.tolerance.default ?? { absolute: 0 };
  return 'percent' in tol ? Math.floor((before * tol.percent) / 100) : tol.absolute;
}

export function evaluate(t: Tally, policy: Policy, baseline?: Tally): Violation[] {
  const v: Violation[] = [];
  for (const [code, limit] of Object.entries(policy.max)) {
    const count = t.total.get(code) ?? 0;
    if (count > limit) v.push({ rule: `max.${code}`, code, count, limit, examples: t.examples.get(code) ?? [], message: `${count} ${code}, at most ${limit} allowed` });
  }
  for (const [endpoint, limits] of Object.entries(policy.perEndpoint)) {
    for (const [code, limit] of Object.entries(limits)) {
      const count = t.perEndpoint.get(`${code}|${endpoint}`) ?? 0;
      if (count > limit) v.push({ rule: `per_endpoint.${endpoint}.${code}`, code, endpoint, count, limit, examples: (t.examples.get(code) ?? []).filter((e) => e.client === endpoint || e.server === endpoint), message: `${endpoint}: ${count} ${code}, at most ${limit} allowed` });
    }
  }
  for (const state of policy.forbidStatesAtEnd) {
    const count = t.summary?.states_at_end[state as keyof typeof t.summary.states_at_end] ?? 0;
    if (count > 0) v.push({ rule: `forbid_states_at_end.${state}`, code: state, count, limit: 0, examples: t.statesAtEnd.get(state) ?? [], message: `${count} endpoint(s) end the capture in ${state}` });
  }
  if (policy.failOn) {
    for (const f of t.findings.values()) {
      if (f.severity === 'critical' || (policy.failOn === 'warning' && f.severity === 'warning')) {
        v.push({ rule: `fail_on.${policy.failOn}`, code: f.code, endpoint: f.endpoint, count: f.count, limit: 0, examples: t.examples.get(f.code) ?? [], message: `${f.severity} finding ${f.code} on ${f.endpoint}: ${f.summary}` });
      }
    }
  }
  if (baseline) {
    for (const [key, count] of t.perEndpoint) {
      const [code, endpoint] = key.split('|') as [string, string];
      const before = baseline.perEndpoint.get(key) ?? 0;
      const limit = before + allowedGrowth(policy, code, before);
      if (count > limit) v.push({ rule: `baseline.${code}`, code, endpoint, count, limit, examples: (t.examples.get(code) ?? []).filter((e) => e.client === endpoint || e.server === endpoint), message: before === 0 ? `new: ${count} ${code} on ${endpoint}, none in the baseline` : `${code} on ${endpoint} grew from ${before} to ${count} (allowed ${limit})` });
    }
  }
  return v;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const exampleText = (e: FindingExample) => `${e.id} ${e.client} -> ${e.server}, frames ${e.first_frame}-${e.last_frame}`;

export async function runCheck(batches: AsyncIterable<OutputRecord[]>, opts: CheckOptions): Promise<number> {
  const policy = opts.policyFile ? loadPolicy(opts.policyFile) : emptyPolicy();
  applyMaxFlags(policy, opts.max);
  for (const s of opts.forbidStates) policy.forbidStatesAtEnd.push(s);
  if (opts.failOn) policy.failOn = opts.failOn;
  const baseline = opts.baselineFile ? tallyOf(await readNdjsonRecords(opts.baselineFile)) : undefined;
  const t = newTally();
  const ndjson = opts.format === 'ndjson';
  for await (const batch of batches) for (const r of batch) {
    addToTally(t, r);
    // NDJSON is the whole analysis, then the verdict, then the summary last: a complete stream under the contract.
    if (ndjson && r.type !== 'summary') opts.out.write(JSON.stringify(r) + '\n');
  }
  const violations = evaluate(t, policy, baseline);
  const passed = violations.length === 0;
  if (ndjson) {
    for (const v of violations) opts.out.write(JSON.stringify({ type: 'violation', ...v }) + '\n');
    opts.out.write(JSON.stringify({ type: 'check', passed, violations: violations.length }) + '\n');
    if (t.summary) opts.out.write(JSON.stringify(t.summary) + '\n');
  } else if (opts.format === 'junit') {
    const rules = [...Object.keys(policy.max).map((c) => `max.${c}`), ...policy.forbidStatesAtEnd.map((s) => `forbid_states_at_end.${s}`)];
    const cases = new Set([...rules, ...violations.map((v) => v.rule), ...(baseline ? ['baseline'] : []), ...(policy.failOn ? [`fail_on.${policy.failOn}`] : [])]);
    const body = [...cases].map((name) => {
      const fails = violations.filter((v) => v.rule === name || (name === 'baseline' && v.rule.startsWith('baseline.')));
      return `  <testcase classname="tcp-lifecycle" name="${xml(name)}">${fails.map((f) => `<failure message="${xml(f.message)}">${xml(f.examples.map(exampleText).join('\n'))}</failure>`).join('')}</testcase>`;
    });
    opts.out.write(`<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="tcp-lifecycle check" tests="${cases.size}" failures="${[...cases].filter((c) => violations.some((v) => v.rule === c || (c === 'baseline' && v.rule.startsWith('baseline.')))).length}">\n${body.join('\n')}\n</testsuite>\n`);
  } else {
    for (const v of violations) {
      opts.out.write(`FAIL ${v.rule}: ${v.message}\n`);
      for (const e of v.examples) opts.out.write(`  e.g. ${exampleText(e)}\n`);
    }
    opts.out.write(passed ? 'check passed\n' : `check failed: ${violations.length} violation(s)\n`);
  }
  return passed ? 0 : 1;
}

/** An earlier analysis (NDJSON) or a capture, from a file, `-` or a pipe, told apart by the first byte. */
async function recordsOf(file: string, options: AnalyzeOptions): Promise<OutputRecord[]> {
  const { first, stream } = await peekFirstByte(file);
  if (first === 0x7b /* { */) return readNdjsonRecords(file, stream);
  const out: OutputRecord[] = [];
  for await (const r of analyze([stream ?? file], options)) {
    if (r.type === 'connection') delete r.segments;
    out.push(r);
  }
  return out;
}

export async function runDiff(oldPath: string, newPath: string, opts: { format: 'text' | 'ndjson'; analyzeOptions: AnalyzeOptions; out: { write(text: string): unknown } }): Promise<number> {
  const before = tallyOf(await recordsOf(oldPath, opts.analyzeOptions));
  const after = tallyOf(await recordsOf(newPath, opts.analyzeOptions));
  const rows: { kind: string; what: string; old: number; new: number }[] = [];
  for (const key of new Set([...before.findings.keys(), ...after.findings.keys()])) {
    const o = before.findings.get(key)?.count ?? 0;
    const n = after.findings.get(key)?.count ?? 0;
    if (o !== n) rows.push({ kind: o === 0 ? 'finding added' : n === 0 ? 'finding removed' : 'finding changed', what: key.replace('|', ' on '), old: o, new: n });
  }
  for (const code of new Set([...before.total.keys(), ...after.total.keys()])) {
    const o = before.total.get(code) ?? 0;
    const n = after.total.get(code) ?? 0;
    if (o !== n) rows.push({ kind: 'count', what: code, old: o, new: n });
  }
  const so = before.summary?.states_at_end ?? {};
  const sn = after.summary?.states_at_end ?? {};
  for (const state of new Set([...Object.keys(so), ...Object.keys(sn)])) {
    const o = (so as Record<string, number>)[state] ?? 0;
    const n = (sn as Record<string, number>)[state] ?? 0;
    if (o !== n) rows.push({ kind: 'state at end', what: state, old: o, new: n });
  }
  if (opts.format === 'ndjson') for (const r of rows) opts.out.write(JSON.stringify({ type: 'difference', ...r }) + '\n');
  else {
    opts.out.write(`${oldPath} -> ${newPath}\n`);
    if (rows.length === 0) opts.out.write('no differences\n');
    for (const r of rows) opts.out.write(`${r.kind.padEnd(16)} ${r.what.padEnd(40)} ${String(r.old).padStart(7)} -> ${r.new}\n`);
  }
  return 0;
}
