import { rmSync } from 'node:fs';

/** Removes this run's scratch folders (rendered lessons add up to hundreds of MB). */
export default function globalTeardown() {
  if (process.env.VT_TEST_TMP && !process.env.VT_KEEP_TEST_FILES) {
    rmSync(process.env.VT_TEST_TMP, { recursive: true, force: true });
  }
}
