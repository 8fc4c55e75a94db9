import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RenderNodeConfig } from '../config.js';
import { RenderError } from '../contract/render-errors.js';
import { gpuNameOf, probeLiveAvatar } from '../engines/liveavatar/liveavatar-rig.js';
import { saveTimings } from '../engines/liveavatar/model-timings.js';
import { checkNode } from '../engines/liveavatar/node-checks.js';
import { smokeLiveAvatar } from '../engines/liveavatar/smoke-run.js';

const MARK = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;

/** `vt doctor`: one line per check, ok or what to do; false when anything failed. */
export async function printDoctor(config: RenderNodeConfig, log: (line: string) => void): Promise<boolean> {
  const checks = await checkNode(config);
  for (const c of checks) log(`${MARK[c.status]}  ${c.what}: ${c.detail}`);
  const failed = checks.filter((c) => c.status === 'fail').length;
  log(
    failed === 0
      ? 'This node can run Live Avatar.'
      : `${failed} check(s) failed: fix them, then run vt doctor again.`,
  );
  return failed === 0;
}

/** `vt smoke --engine liveavatar`: two real runs, timed; the timings are saved for the hang timer. */
export async function runSmoke(
  config: RenderNodeConfig,
  o: { imagePath?: string },
  log: (line: string) => void,
): Promise<void> {
  const { inventory, availability, rig } = await probeLiveAvatar(config);
  if (!rig)
    throw new RenderError('ENGINE_UNAVAILABLE', `${availability.reasons.join(' ')} (vt doctor says more)`);
  log(`plan: ${rig.plan.summary}`);
  const workDir = await mkdtemp(join(tmpdir(), 'vt-smoke-'));
  try {
    const gpu = gpuNameOf(inventory, rig.plan);
    const { runs, timings } = await smokeLiveAvatar(rig, gpu, { workDir, imagePath: o.imagePath, log });
    for (const r of runs)
      log(
        `${r.clips} clip${r.clips > 1 ? 's' : ''} at ${r.size} (${r.frame}): ${r.totalSec.toFixed(1)} s — ` +
          Object.entries(r.stages)
            .map(([stage, sec]) => `${stage} ${sec.toFixed(1)} s`)
            .join(', '),
      );
    await saveTimings(config.VT_LIVEAVATAR_TIMINGS, timings);
    log(`timings for ${gpu} saved to ${config.VT_LIVEAVATAR_TIMINGS}; the hang timer reads them from now on`);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
