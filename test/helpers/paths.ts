/** Where the tests find the project, its captures and the shared public material. */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.resolve(ROOT, '../shared');
export const PUBLIC_CAPTURES = path.join(SHARED, 'captures-public');
export const CONTRACT_CHECK = path.join(SHARED, 'contract-check.mjs');
export const CAPTURES = path.join(ROOT, 'captures');
/** The command line as installed: the build of src/cli.ts. */
export const CLI = path.join(ROOT, 'dist/cli.js');
