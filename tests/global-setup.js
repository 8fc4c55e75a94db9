import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * CLI tests run the built command, so build first: a test never runs stale JavaScript. Every scratch
 * folder of this run goes under one parent (VT_TEST_TMP), which global-teardown removes.
 */
export default function globalSetup() {
  execFileSync(
    process.execPath,
    [`${repo}/node_modules/typescript/bin/tsc`, '-p', `${repo}/tsconfig.build.json`],
    {
      stdio: 'inherit',
    },
  );
  process.env.VT_TEST_TMP = mkdtempSync(join(tmpdir(), 'vt-tests-'));
}
