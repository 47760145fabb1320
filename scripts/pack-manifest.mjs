#!/usr/bin/env node
/**
 * The package.json that goes into the tarball: without the `prepare` script,
 * which builds a fresh clone (`npm ci`) but would make every project that
 * installs the package warn about an install script it never needs (the
 * tarball carries the build). `npm pack` and `npm publish` run
 * `node scripts/pack-manifest.mjs strip` before packing (prepack) and
 * `restore` after (postpack), which puts back the file byte for byte.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const MANIFEST = 'package.json';
const KEPT = 'package.json.unpacked';

const [command] = process.argv.slice(2);
if (command === 'strip') {
  const text = readFileSync(MANIFEST, 'utf8');
  const manifest = JSON.parse(text);
  delete manifest.scripts.prepare;
  writeFileSync(KEPT, text);
  writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
} else if (command === 'restore') {
  if (existsSync(KEPT)) renameSync(KEPT, MANIFEST);
} else {
  console.error('usage: pack-manifest.mjs strip|restore');
  process.exit(2);
}
