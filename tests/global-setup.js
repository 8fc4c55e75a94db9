import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** CLI tests run the built command, so build first: a test never runs stale JavaScript. */
export default function globalSetup() {
  execFileSync(
    process.execPath,
    [`${repo}/node_modules/typescript/bin/tsc`, '-p', `${repo}/tsconfig.build.json`],
    {
      stdio: 'inherit',
    },
  );
}
