/**
 * Usage errors are exit 2 with one line on stderr, never a stack trace, and
 * are found before the capture is read; names that carry control characters
 * or bytes that are not UTF-8 are shown safely.
 */
import test from 'ava';
import { closeSync, copyFileSync, linkSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CAPTURES, CLI, ROOT } from '../helpers/paths.js';
import { cli, cliInProcess, ndjsonLines } from '../helpers/cli.js';

const cap = (name: string) => path.join(CAPTURES, name);
const CLEAN = cap('client-close.pcap');
const tmp = mkdtempSync(path.join(tmpdir(), 'tcp-lifecycle-usage-'));

/** [arguments, what stderr must say]: each exits 2 with exactly one line. */
const USAGE_ERRORS: [string[], RegExp][] = [
  [['analyze', '--stuck-after', 'abc', CLEAN], /^--stuck-after abc: not a number of seconds$/],
  [['analyze', '--stuck-after', '-1', CLEAN], /^--stuck-after -1: out of range \(0 to 1000000000\)$/],
  [['analyze', '--stuck-after', '1e400', CLEAN], /^--stuck-after 1e400: out of range/],
  [['analyze', '--stuck-after', '1', '--stuck-after', '2', CLEAN], /^--stuck-after given 2 times: give it once$/],
  [['analyze', '--time-wait', '1x', CLEAN], /^--time-wait 1x: not a number of seconds$/],
  [['analyze', '--time-wait', '-0.5', CLEAN], /^--time-wait -0\.5: out of range/],
  [['analyze', '--max-live', '0', CLEAN], /^--max-live 0: out of range \(1 to \d+\)$/],
  [['analyze', '--max-live', '2.5', CLEAN], /^--max-live 2\.5: not a whole number$/],
  [['analyze', '--max-record', '0', CLEAN], /^--max-record 0: out of range \(1 to 16777216\)$/],
  [['analyze', '--max-record', '99999999', CLEAN], /^--max-record 99999999: out of range \(1 to 16777216\)$/],
  [['analyze', '--jobs', '0', '--format', 'ndjson', CLEAN], /^--jobs 0: out of range \(1 to 1024\)$/],
  [['analyze', '-j', 'two', '--format', 'ndjson', CLEAN], /^--jobs two: not a whole number$/],
  [['analyze', '--jobs', '2', CLEAN], /^--jobs writes NDJSON: add --format ndjson$/],
  [['analyze', '--format', 'xml', CLEAN], /^--format xml: not one of text, ndjson$/],
  [['check', '--fail-on', 'info', '--format', 'xml', CLEAN], /^--fail-on info: not one of warning, critical; --format xml: not one of text, ndjson, junit$/],
  [['analyze', '--format', 'text', '--format', 'ndjson', CLEAN], /^--format given 2 times: give it once$/],
  [['check', '--policy', 'a.json', '--policy', 'b.json', CLEAN], /^--policy given 2 times: give it once$/],
  [['analyze', '--stuck-aftr', '5', CLEAN], /^analyze: unknown option --stuck-aftr; did you mean --stuck-after\?$/],
  [['report', '--fromat', 'md', CLEAN], /^report: unknown option --fromat; did you mean --format\?$/],
  [['analyze', '--job', '2', CLEAN], /^analyze: unknown option --job; did you mean --jobs\?$/],
  [['check', '--policy', '-', CLEAN], /^--policy -: name a file; standard input is not read here$/],
  [['check', '--baseline', '-', '-'], /^standard input \(-\) can be read only once: give the baseline or the capture as a file$/],
  [['extract', '--connection', 'C13', '-o', '-', CLEAN], /^--output -: name a file; standard input is not read here$/],
  [['submit', '--redis', 'redis://127.0.0.1:1', '--work-dir', '-', CLEAN], /^--work-dir -: name a file; standard input is not read here$/],
  [['states', '--at', '-', CLEAN], /^--at -: not epoch seconds/],
  [['analyze', '--format', '-', CLEAN], /^--format -: not one of text, ndjson$/],
  [['analyze', '--bogus', CLEAN], /^analyze: unknown option --bogus$/],
  [['report', '-x', CLEAN], /^report: unknown option -x$/],
  [['analyse', CLEAN], /^unknown command analyse; did you mean analyze\?$/],
  [['analyze', '-', '-'], /^standard input \(-\) can be read only once$/],
  [['analyze'], /^1 input\(s\) needed, 0 given: name capture files, or - for standard input$/],
  [['diff', CLEAN], /^2 input\(s\) needed, 1 given/],
  [['states', '--at', 'yesterday', CLEAN], /^--at yesterday: not epoch seconds, an ISO date \(2024-05-01T10:00:00Z\) or \+seconds from the capture's start$/],
  [['states', '--at', '2026-13-01', CLEAN], /^--at 2026-13-01: not epoch seconds/],
  [['states', '--at', '2020-01-01', CLEAN], /^--at 2020-01-01: outside the capture, which spans 2026-11-24T21:23:23\.458Z to 2026-11-24T21:23:25\.070Z \(epoch 1795555403\.458602 to 1795555405\.070365, \+0 to \+1\.611763\)$/],
  [['states', '--at', '+2', CLEAN], /^--at \+2: outside the capture, which spans/],
  [['check', '--max', 'reset', CLEAN], /^--max reset: expected CODE=N$/],
  [['check', '--max', 'reset=-1', CLEAN], /^--max reset=-1: -1 is not a whole number >= 0$/],
  [['check', '--max', 'rest=1', CLEAN], /^--max rest=1: unknown code; did you mean reset\?$/],
  [['check', '--policy', 'no-such-policy.json', CLEAN], /^no-such-policy\.json: cannot read the policy \(ENOENT\)$/],
  [['check', '--baseline', 'no-such-baseline.ndjson', CLEAN], /^no-such-baseline\.ndjson: cannot read \(ENOENT\)$/],
  [['analyze', 'no-such.pcap'], /^no-such\.pcap: no such file$/],
  [['analyze', CAPTURES], /captures: is a directory, not a capture file$/],
];

// Run in this process (the built main), as each fails before reading any capture; the test after shows a process ends the same.
for (const [args, message] of USAGE_ERRORS) {
  test(`exit 2, one line: ${args.join(' ')}`, async (t) => {
    const r = await cliInProcess(args);
    t.is(r.status, 2, r.stderr);
    t.is(r.stdout, '');
    const lines = r.stderr.split('\n');
    t.is(lines.length, 2, `one line: ${r.stderr}`);
    t.regex(lines[0]!.replace(/^tcp-lifecycle: /, ''), message);
  });
}

test('a usage error ends a process as it ends main in this process: exit 2, the same line, nothing on stdout', async (t) => {
  for (const [args] of [USAGE_ERRORS[0]!, USAGE_ERRORS.find(([a]) => a[0] === 'check')!, USAGE_ERRORS.find(([a]) => a[0] === 'states')!]) {
    const [spawned, inProcess] = [await cli(args), await cliInProcess(args)];
    t.deepEqual(spawned, inProcess, args.join(' '));
  }
});

test('an ISO time without a zone is UTC, as the output writes times', async (t) => {
  const states = (at: string) => cli(['states', '--at', at, '--format', 'ndjson', CLEAN]);
  const [plain, zulu, epoch] = await Promise.all([states('2026-11-24T21:23:24.9'), states('2026-11-24T21:23:24.9Z'), states('1795555404.9')]);
  const at = (r: { stdout: string }) => ndjsonLines(r.stdout).find((o) => o.type === 'states')?.at ?? ndjsonLines(r.stdout).length;
  t.is(plain.status, 0, plain.stderr);
  t.is(at(plain), at(zulu));
  t.is(at(plain), at(epoch));
  t.regex((await cli(['states', '--at', '2026-11-24 21:23:24.9', CLEAN])).stdout, /^endpoint states at 2026-11-24T21:23:24\.900Z/);
});

test('--jobs beyond the cores is capped to them, with a warning', async (t) => {
  const cores = availableParallelism();
  const r = await cli(['analyze', '--jobs', String(cores + 3), '--format', 'ndjson', CLEAN]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, `tcp-lifecycle: warning: --jobs ${cores + 3}: this machine has ${cores} core(s); using ${cores}\n`);
});

test('states --format ndjson counts the findings it computed: the summary agrees with the finding records', async (t) => {
  const r = await cli(['states', '--format', 'ndjson', cap('close-wait-leak.pcap')]);
  const records = ndjsonLines(r.stdout);
  const findings = records.filter((o) => o.type === 'finding');
  t.true(findings.some((f) => f.code === 'close_wait_leak'));
  t.is(records.at(-1)!.findings, findings.length);
});

test('the same file named twice, as ./x or a hard link, is read once, with a warning', async (t) => {
  const link = path.join(tmp, 'leak-link.pcap');
  linkSync(cap('close-wait-leak.pcap'), link);
  const relative = path.relative(ROOT, cap('close-wait-leak.pcap'));
  const [once, thrice] = await Promise.all([
    cli(['analyze', '--format', 'ndjson', relative]),
    cli(['analyze', '--format', 'ndjson', relative, `./${relative}`, link]),
  ]);
  t.is(thrice.status, 0, thrice.stderr);
  const records = (stdout: string) => ndjsonLines(stdout).filter((o) => o.type !== 'summary' && o.type !== 'merge_state');
  t.deepEqual(records(thrice.stdout), records(once.stdout), 'the same records: no doubled packets, no invented findings');
  t.is(ndjsonLines(thrice.stdout).at(-1)!.packets, 93);
  t.regex(thrice.stderr, new RegExp(`warning: \\./${relative.replace(/\./g, '\\.')} is the same file as ${relative.replace(/\./g, '\\.')}: it was read once`));
  t.regex(thrice.stderr, /warning: .*leak-link\.pcap is the same file as .*: it was read once/);
});

test('a file name with control characters is shown escaped, so it cannot move the terminal', async (t) => {
  const name = path.join(tmp, 'evil\x1b[2J\x07\r.pcap');
  const r = await cli(['analyze', name]);
  t.is(r.status, 2);
  t.false(/[\x00-\x08\x0b-\x1f\x7f]/.test(r.stderr), JSON.stringify(r.stderr));
  t.true(r.stderr.includes('evil\\x1b[2J\\x07\\r.pcap: no such file'), r.stderr);
  const copy = path.join(tmp, 'tab\there.pcap');
  copyFileSync(cap('close-wait-leak.pcap'), copy);
  const twice = await cli(['analyze', copy, copy]);
  t.true(twice.stderr.includes('tab\\there.pcap is the same file'), twice.stderr);
});

test('a file name that is not UTF-8 is named as such, not as a missing file', async (t) => {
  // Node cannot name such a file itself: bash makes it, and gives the name through its bytes.
  const dir = path.join(tmp, 'latin1');
  const made = spawn('bash', ['-c', `mkdir -p ${dir} && cp ${CLEAN} ${dir}/$'caf\\xe9.pcap' && node ${CLI} analyze ${dir}/$'caf\\xe9.pcap'`], { cwd: ROOT });
  let stderr = '';
  made.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((resolve) => made.on('close', resolve));
  t.is(status, 2);
  t.regex(stderr, /caf\ufffd\.pcap: this name is not valid UTF-8 and cannot be opened by name: rename the file, or give it on standard input \(- < FILE\)\n$/);
  t.notRegex(stderr, /no such file/);
});

test('the progress line is erased before output that shares the terminal', async (t) => {
  // stdout and stderr on one file, as on a terminal: the erase sequence must come between the progress line and the first output.
  const out = path.join(tmp, 'shared-terminal.txt');
  const fd = openSync(out, 'w');
  const run = spawn(process.execPath, [CLI, 'analyze', '--progress', cap('time-wait-storm.pcap')], { cwd: ROOT, stdio: ['ignore', fd, fd] });
  await new Promise((resolve) => run.on('close', resolve));
  closeSync(fd);
  const text = readFileSync(out, 'utf8');
  const progress = text.indexOf('packets');
  const table = text.indexOf('id ');
  t.true(progress >= 0 && table > progress, text.slice(0, 300));
  t.true(text.slice(progress, table).includes('\r\x1b[K'), JSON.stringify(text.slice(0, table + 10)));
});

test('--help of every command exits 0 and describes every option it lists; submit does not offer standard input, which it refuses', async (t) => {
  const top = await cli(['--help']);
  t.is(top.status, 0);
  const commands = [...top.stdout.matchAll(/^ {2}tcp-lifecycle (\w+)/gm)].map((m) => m[1]!);
  t.deepEqual(commands.sort(), ['analyze', 'check', 'diff', 'extract', 'merge', 'report', 'states', 'submit', 'worker']);
  for (const command of commands) {
    const r = await cli([command, '--help'], { env: { COLUMNS: '200' } });
    t.is(r.status, 0, `${command}: ${r.stderr}`);
    t.is(r.stderr, '');
    // An option or positional line: its name, then words before any [type] or [choices] note.
    for (const line of r.stdout.split('\n').filter((l) => /^\s+(-\w, )?--?[\w-]+|^\s{2}\w+\s{2,}/.test(l))) {
      t.regex(line, /^\s+(?:-\w, )?(?:--)?[\w-]+\s+[a-z`(]/i, `${command}: described: ${line}`);
      t.notRegex(line, /^\s+(?:-\w, )?(?:--)?[\w-]+\s+\[/, `${command}: no description: ${line}`);
    }
  }
  for (const args of [['-h'], ['analyze', '-h']]) {
    const short = await cli(args);
    t.is(short.status, 0, `${args.join(' ')}: ${short.stderr}`);
    t.regex(short.stdout, /^tcp-lifecycle /, '-h is --help');
  }
  const submit = await cli(['submit', '--help']);
  t.notRegex(submit.stdout, /or - for standard input/);
  const refused = await cli(['submit', '--redis', 'redis://127.0.0.1:1', '-'], { input: readFileSync(CLEAN) });
  t.is(refused.status, 2);
  t.regex(refused.stderr, /give capture files, not standard input or a pipe/);
});

test('- as an option\'s value: report -o - writes to standard output, check --baseline - reads the baseline from standard input', async (t) => {
  const report = await cli(['report', '-o', '-', CLEAN]);
  t.is(report.status, 0, report.stderr);
  t.regex(report.stdout, /^TCP lifecycle report\n/);
  const baseline = (await cli(['analyze', '--format', 'ndjson', CLEAN])).stdout;
  const [same, leak] = await Promise.all([
    cli(['check', '--baseline', '-', CLEAN], { input: baseline }),
    cli(['check', '--baseline', '-', cap('close-wait-leak.pcap')], { input: baseline }),
  ]);
  t.is(same.status, 0, same.stdout + same.stderr);
  t.is(leak.status, 1, leak.stdout + leak.stderr);
  t.regex(leak.stdout, /FAIL baseline\.close_wait_stuck: new: 5 close_wait_stuck on 10\.77\.0\.2:8080, none in the baseline/);
});
