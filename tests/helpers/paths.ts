import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** shared/ sits beside the checkout (CI clones main with shared/ next to it). */
export const SHARED = process.env.VT_SHARED_DIR ?? resolve(REPO, '../shared');
export const PORTRAIT = join(SHARED, 'fixtures/portraits/astronaut.png');
export const VT_CLI = join(REPO, 'dist/render-node/src/cli/vt.js');

if (!existsSync(PORTRAIT)) {
  throw new Error(
    `Test fixture ${PORTRAIT} is missing: shared/ must sit beside the checkout (or set VT_SHARED_DIR).`,
  );
}
