import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  CHECKPOINT_FILES,
  liveAvatarAvailability,
} from '../../render-node/src/engines/liveavatar/availability.js';
import { LIVEAVATAR } from '../../render-node/src/engines/liveavatar/cli-flags.js';
import type { GpuInventory } from '../../render-node/src/engines/liveavatar/gpu-detect.js';
import { scratchDir } from '../helpers/speech.js';

const h100: GpuInventory = {
  source: 'csv',
  gpus: [
    {
      index: 0,
      name: 'NVIDIA H100 80GB HBM3',
      uuid: 'GPU-0',
      memoryTotalMiB: 81559,
      memoryFreeMiB: 81079,
      computeCapability: '9.0',
    },
  ],
};

function install(withFiles: boolean) {
  const root = scratchDir();
  const repoDir = join(root, 'LiveAvatar');
  const ckptDir = join(root, 'ckpt');
  const loraFile = join(root, 'liveavatar.safetensors');
  if (withFiles) {
    for (const f of [
      join(repoDir, LIVEAVATAR.entry),
      loraFile,
      ...CHECKPOINT_FILES.map((c) => join(ckptDir, c)),
    ]) {
      mkdirSync(dirname(f), { recursive: true });
      writeFileSync(f, '');
    }
  }
  return { repoDir, ckptDir, loraFile };
}

describe('whether a node offers the liveavatar engine', () => {
  it('offers it with a plan and every checkpoint on disk', () => {
    expect(liveAvatarAvailability(h100, install(true), true)).toMatchObject({ available: true, reasons: [] });
  });

  it('does not without the checkpoints, and says which are missing', () => {
    const a = liveAvatarAvailability(h100, install(false), true);
    expect(a.available).toBe(false);
    expect(a.reasons.join(' ')).toMatch(/Checkpoint files missing .*Wan2\.1_VAE\.pth/);
    expect(a.reasons.join(' ')).toMatch(/LoRA file .* is missing/);
  });

  it('does not without a GPU that can run it, even with the files', () => {
    const a = liveAvatarAvailability({ source: 'none', gpus: [] }, install(true), true);
    expect(a.available).toBe(false);
    expect(a.reasons[0]).toMatch(/cannot run here/);
  });
});
