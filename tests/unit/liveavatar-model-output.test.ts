import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelClips, modelFrames } from '../../render-node/src/engines/liveavatar/clip-count.js';
import { planClipBatches, partFrames } from '../../render-node/src/engines/liveavatar/clip-batches.js';
import { nextRung } from '../../render-node/src/engines/liveavatar/fallback-ladder.js';
import { parseQueryCsv } from '../../render-node/src/engines/liveavatar/gpu-detect.js';
import { choosePlan } from '../../render-node/src/engines/liveavatar/launch-plan.js';
import { modelFrame } from '../../render-node/src/engines/liveavatar/frame-size.js';
import { linesOf, readModelLine } from '../../render-node/src/engines/liveavatar/model-output.js';
import { silenceBudgetSec, UNMEASURED } from '../../render-node/src/engines/liveavatar/model-timings.js';
import { canCompileFp8, parseNodeProbe } from '../../render-node/src/engines/liveavatar/node-probe.js';
import { REPO } from '../helpers/paths.js';

/** Real output recorded on an H200 by scripts/gpu/record-liveavatar-fixtures.sh. */
const recorded = (name: string): string => readFileSync(join(REPO, 'tests/fixtures/gpu-h200', name), 'utf8');
const kinds = (text: string): string[] => linesOf(text).map((l) => readModelLine(l).kind);

describe('reading what the real tools print (H200 recordings)', () => {
  it('counts a tqdm bar once, by its start, though the final 100% is printed twice', () => {
    const text = recorded('bars-single.stderr'); // 2 clips × 4 blocks
    expect(text.match(/100%\|[^|]*\| 4\/4/g)).toHaveLength(16);
    expect(kinds(text).filter((k) => k === 'bar-start')).toHaveLength(8);
  });

  it('counts the bars of five interleaved torchrun ranks', () => {
    expect(kinds(recorded('bars-tpp.stderr')).filter((k) => k === 'bar-start')).toHaveLength(20);
  });

  it('does not take loader bars for clips', () => {
    expect(kinds(recorded('shards.stderr'))).not.toContain('bar-start');
    expect(readModelLine('Loading checkpoint shards:   0%|          | 0/4 [00:00<?, ?it/s]').kind).toBe(
      'text',
    );
  });

  it.each([
    ['oom-alloc.stderr', 'gpu'],
    ['oom-alloc-torchrun.stderr', 'gpu'],
    ['oom-cublas.stderr', 'gpu'],
    ['oom-killed-torchrun.stderr', 'host'],
  ])('knows %s for running out of memory (%s)', (file, where) => {
    const found = linesOf(recorded(file))
      .map(readModelLine)
      .find((l) => l.kind === 'oom');
    expect(found).toMatchObject({ kind: 'oom', where });
  });

  it('does not take Inductor’s autotuning "OutOfMemoryError: out of resource" for a CUDA OOM', () => {
    const text = recorded('compile.stderr');
    expect(text).toContain('OutOfMemoryError: out of resource');
    expect(kinds(text)).not.toContain('oom');
  });

  it('reads the H200’s nvidia-smi and plans one GPU with FP8 on it', () => {
    const inventory = { source: 'csv' as const, ...parseQueryCsv(recorded('nvidia-smi-query.stdout')) };
    expect(inventory.gpus).toMatchObject([
      { name: 'NVIDIA H200', memoryTotalMiB: 143771, computeCapability: '9.0' },
    ]);
    const plan = choosePlan(inventory, { size: '720*400', clips: 99, fp8Toolchain: true });
    expect(plan.ok && plan.plan).toMatchObject({ mode: 'single', gpus: [0], fp8: true });
  });

  it('reads the node probe as the H200 printed it: torch, Triton and gcc, so FP8 can compile', () => {
    const p = parseNodeProbe(recorded('probe-node.stdout'));
    expect(p.torch).toMatchObject({
      version: '2.11.0+cu130',
      devices: [{ name: 'NVIDIA H200', capability: '9.0' }],
    });
    expect(canCompileFp8(p)).toBe(true);
    expect(canCompileFp8({ ...p, compiler: null })).toBe(false);
    expect(
      canCompileFp8({ ...p, modules: { ...p.modules, triton: { missing: 'ModuleNotFoundError' } } }),
    ).toBe(false);
  });
});

describe('the model’s arithmetic (shared/docs/liveavatar.md, corrections)', () => {
  it.each([
    ['720*400', 1920, 1080, '704x384'],
    ['720*400', 768, 1024, '448x640'],
    ['704*384', 1080, 1920, '384x704'],
    ['704*384', 768, 1024, '448x576'],
    ['688*368', 1024, 1024, '448x448'],
    ['384*256', 768, 1024, '256x384'],
  ])('--size %s on a %d×%d portrait renders %s', (size, width, height, frame) => {
    const f = modelFrame(size, { width, height });
    expect(`${f.width}x${f.height}`).toBe(frame);
  });

  it('counts clips as wav2vec2 does: k × 1.92 s gets k clips, 3 frames short', () => {
    expect(modelClips(190.08)).toBe(99);
    expect(modelFrames(190.08)).toBe(4749);
    expect(modelClips(60)).toBe(32);
    expect(modelFrames(60)).toBe(1533);
  });

  it('gives every part spare audio so the model renders all its frames, and overlaps the cuts', () => {
    for (const seconds of [600, 190.08, 400.5, 3600]) {
      const batches = planClipBatches(seconds, { maxClips: 100, crossfadeFrames: 8 });
      expect(batches.at(-1)!.endFrame).toBe(Math.round(seconds * 25));
      for (const [i, b] of batches.entries()) {
        expect(b.clips).toBeLessThanOrEqual(100);
        if (i > 0) expect(b.startFrame).toBe(batches[i - 1]!.endFrame);
        if (i < batches.length - 1) {
          expect(b.overlapFrames).toBe(8);
          expect(modelFrames(b.endSec - b.startSec)).toBeGreaterThanOrEqual(partFrames(b));
        }
      }
    }
  });

  it('moves a cut into the quietest stretch near the longest batch', () => {
    const voice = new Float32Array(15000).fill(1);
    voice.fill(0, 4500, 4520); // a pause 0.8 s long, 10 s before the longest cut
    const [first] = planClipBatches(600, { maxClips: 100, crossfadeFrames: 8, voice });
    expect(first!.endFrame).toBeGreaterThanOrEqual(4500);
    expect(first!.endFrame + 8).toBeLessThanOrEqual(4520);
  });

  it('steps down with levers that free GPU memory, and skips a size that gives the same frame', () => {
    const square = { width: 1024, height: 1024 };
    const start = { size: '720*400', offloadKvCache: false, t5Cpu: false };
    const steps: string[] = [];
    let s: typeof start | undefined = start;
    while (s) {
      const r = nextRung(s, 'single', square);
      if (r) steps.push(r.step);
      s = r?.settings;
    }
    expect(steps).toEqual([
      'moved the KV caches to the CPU',
      'moved T5 to the CPU',
      'dropped the size to 688*368 (448x448 for this portrait)',
      'dropped the size to 384*256 (256x256 for this portrait)',
    ]);
    expect(nextRung(start, 'tpp', square)!.step).toBe('moved T5 to the CPU');
  });

  it('lets the silent final decode last longer the more clips a batch has', () => {
    const q = (clips: number) => ({ clips, hangSec: 600, timings: UNMEASURED });
    expect(silenceBudgetSec('denoising', q(99))).toBe(600);
    expect(silenceBudgetSec('decoding', q(99))).toBeGreaterThan(silenceBudgetSec('decoding', q(10)));
    expect(silenceBudgetSec('decoding', q(99))).toBeGreaterThanOrEqual(3 * 98 * UNMEASURED.decodeSecPerClip);
  });
});
