import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { runVt } from '../helpers/cli.js';
import { SHARED } from '../helpers/paths.js';
import { scratchDir } from '../helpers/speech.js';

describe('vt gpus (saved nvidia-smi output of a real H100)', () => {
  const dir = scratchDir();
  beforeAll(() => {
    copyFileSync(join(SHARED, 'fixtures/gpu/nvidia-smi-query-h100.csv'), join(dir, 'query.csv'));
    copyFileSync(join(SHARED, 'fixtures/gpu/nvidia-smi-q-h100.xml'), join(dir, 'q.xml'));
    copyFileSync(join(SHARED, 'fixtures/gpu/nvidia-smi-topo-h100.txt'), join(dir, 'topo.txt'));
  });

  it('prints the inventory and the single-GPU FP8 plan', async () => {
    const cli = await runVt(['gpus', '--from', dir]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('GPUs (csv): 1 · driver 580.159.04 · CUDA 13.0');
    expect(cli.stdout).toContain('[0] NVIDIA H100 80GB HBM3 · 79.6 GiB total, 79.2 GiB free · compute 9.0');
    expect(cli.stdout).toMatch(/Plan: single GPU \(offline\) on 1 × NVIDIA H100 80GB HBM3, FP8/);
  });

  it('splits a 10-minute lesson into batches as long as that node’s memory holds', async () => {
    const cli = await runVt([
      'gpus',
      '--from',
      dir,
      '--seconds',
      '600',
      '--size',
      '720*400',
      '--host-gib',
      '64',
    ]);
    // 313 clips; 64 GiB of host memory holds about 60 clips of 720 × 400 frames a run.
    const m =
      /(\d+) batches of ≤ (\d+) clips \(host memory\), joined with cross-fades · host ≈ ([\d.]+) GiB per batch/.exec(
        cli.stdout,
      );
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(Math.ceil(313 / Number(m![2])));
    expect(Number(m![3])).toBeLessThanOrEqual(64 * 0.8);
  });

  it('exits 1 with the reason where nothing fits', async () => {
    const cli = await runVt(['gpus', '--from', scratchDir()]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain('Plan: none. Live Avatar cannot run here: found no NVIDIA GPU');
  });
});
