/**
 * The package as a project gets it: `npm pack` of the built project, the
 * tarball installed into a scratch project. No warning of ours on install, a
 * LICENSE, `import` and `require` both work, the type declarations compile
 * in a project that has no @types/node of its own, and `--version` is the
 * tool's own, not the project's.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, ROOT } from '../helpers/paths.js';

const ours = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; files: string[] };
const work = mkdtempSync(path.join(tmpdir(), 'tcp-lifecycle-package-'));
const app = path.join(work, 'app');
const npm = (args: string[], cwd: string) => spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });

/** The tarball, packed by the project's own prepack/postpack from a copy of what it ships (the worktree stays as it is). */
function pack(): { tarball: string; output: string } {
  if (!existsSync(CLI)) throw new Error('run npm run build first');
  const project = path.join(work, 'project');
  for (const entry of [...ours.files, 'package.json', 'scripts/pack-manifest.mjs']) cpSync(path.join(ROOT, entry), path.join(project, entry), { recursive: true });
  const r = npm(['pack', '--pack-destination', work], project);
  if (r.status !== 0) throw new Error(r.stderr);
  if (readFileSync(path.join(project, 'package.json'), 'utf8') !== readFileSync(path.join(ROOT, 'package.json'), 'utf8')) throw new Error('postpack did not restore package.json');
  return { tarball: path.join(work, r.stdout.trim().split('\n').at(-1)!), output: r.stdout + r.stderr };
}

const packed = pack();
mkdirSync(app);
writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', version: '7.7.7', private: true, type: 'module' }));
const install = npm(['install', '--prefer-offline', '--no-audit', '--no-fund', packed.tarball], app);
const installed = path.join(app, 'node_modules', 'tcp-lifecycle');

test('installing the tarball prints no warning of ours', (t) => {
  t.is(install.status, 0, install.stderr);
  t.notRegex(install.stdout + install.stderr, /tcp-lifecycle/, install.stdout + install.stderr);
  t.notRegex(install.stdout + install.stderr, /warn/i, install.stdout + install.stderr);
});

test('the package carries its LICENSE, and none of the project\'s build scripts', (t) => {
  t.regex(readFileSync(path.join(installed, 'LICENSE'), 'utf8'), /^MIT License/);
  const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.is(manifest.scripts.prepare, undefined);
});

test('import and require both give the library', (t) => {
  const esm = execFileSync(process.execPath, ['--input-type=module', '-e', "import { analyze, TCP_STATES } from 'tcp-lifecycle'; console.log(typeof analyze, TCP_STATES.length)"], { cwd: app, encoding: 'utf8' });
  t.is(esm.trim(), 'function 11');
  const cjs = spawnSync(process.execPath, ['--input-type=commonjs', '-e', "const { analyze, DEFAULTS } = require('tcp-lifecycle'); console.log(typeof analyze, DEFAULTS.timeWait)"], { cwd: app, encoding: 'utf8' });
  t.is(cjs.status, 0, cjs.stderr);
  t.is(cjs.stdout.trim(), 'function 60');
});

test('the type declarations compile in a project with no @types/node of its own', (t) => {
  writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, types: [] } }));
  writeFileSync(path.join(app, 'use.ts'), [
    "import { analyze, type ConnectionRecord, type AnalyzeOptions } from 'tcp-lifecycle';",
    'const options: AnalyzeOptions = { stuckAfter: 5 };',
    'export async function closeWaits(file: string): Promise<ConnectionRecord[]> {',
    '  const found: ConnectionRecord[] = [];',
    "  for await (const r of analyze(file, options)) if (r.type === 'connection' && r.server_state === 'CLOSE_WAIT') found.push(r);",
    '  return found;',
    '}',
  ].join('\n'));
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app], { cwd: app, encoding: 'utf8' });
  t.is(tsc.status, 0, tsc.stdout + tsc.stderr);
});

test('--version from the installed package is the tool\'s own, not the project\'s', (t) => {
  const r = spawnSync(path.join(app, 'node_modules/.bin/tcp-lifecycle'), ['--version'], { cwd: app, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.trim(), ours.version);
});
