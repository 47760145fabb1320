/** Where the tests find the project, its captures and the shared public material. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The folder of package.json above this file: the tests run compiled, from .build/test. */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (dir === path.dirname(dir)) throw new Error(`no package.json above ${from}`);
  }
}

export const ROOT = projectRoot(path.dirname(fileURLToPath(import.meta.url)));
export const SHARED = path.resolve(ROOT, '../shared');
export const PUBLIC_CAPTURES = path.join(SHARED, 'captures-public');
export const CONTRACT_CHECK = path.join(SHARED, 'contract-check.mjs');
export const CAPTURES = path.join(ROOT, 'captures');
/** The command line as installed: the build of src/cli.ts. */
export const CLI = path.join(ROOT, 'dist/cli.js');
