/**
 * `submit` removes its work directory at the end of a run, also when a
 * worker is still writing into it (a job retried after the run gave up on
 * it): the removal is tried again, and what it cannot remove is said, never
 * thrown (which the command line would show as an internal error).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { removeWork } from '../../src/distributed/submit.js';

const dir = mkdtempSync(path.join(tmpdir(), 'work-dir-'));

test('a work directory goes, and one that is not there is no error', (t) => {
  const work = path.join(dir, 'plain');
  mkdirSync(path.join(work, 'analyses'), { recursive: true });
  writeFileSync(path.join(work, 'analyses', '0.ndjson'), 'x\n');
  t.is(removeWork(work), undefined);
  t.false(existsSync(work));
  t.is(removeWork(work), undefined);
});

test('a work directory a process keeps writing into is removed or said to stay, never thrown', async (t) => {
  const work = path.join(dir, 'busy');
  mkdirSync(work);
  // Another process creates files in it as fast as it can, as a worker writing an analysis would, only without end.
  const writer = spawn(process.execPath, ['-e', `const fs = require('fs'); let i = 0; for (;;) { try { fs.mkdirSync(${JSON.stringify(work)}, { recursive: true }); fs.writeFileSync(${JSON.stringify(work)} + '/part-' + i++, 'x'); } catch {} }`], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    let why: string | undefined;
    t.notThrows(() => {
      why = removeWork(work);
    });
    if (why !== undefined) t.regex(why, /ENOTEMPTY|EEXIST|EBUSY/);
    else t.pass('removed between two writes');
  } finally {
    writer.kill('SIGKILL');
  }
});
