import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { RenderError } from '../../contract/render-errors.js';
import { probe, toneAudio } from '../../media/ffmpeg.js';
import { uprightRgb } from '../../media/portrait-image.js';
import { LIVEAVATAR } from './cli-flags.js';
import { buildLaunch, freePort } from './launch-command.js';
import { frameName, modelFrame, type Frame } from './frame-size.js';
import type { LiveAvatarRig } from './liveavatar-rig.js';
import type { ModelStage } from './model-output.js';
import { UNMEASURED, type ModelTimings } from './model-timings.js';
import { runModel } from './run-model.js';

/** The two smoke runs: the smallest lesson first (does it run at all?), then one long enough to time. */
export const SMOKE_RUNS = [
  { size: '384*256', clips: 1 },
  { size: '704*384', clips: 10 },
] as const;

export interface SmokeRun {
  readonly size: string;
  readonly clips: number;
  readonly frame: string;
  /** Seconds spent in each stage, in the order they came. */
  readonly stages: Partial<Record<ModelStage, number>>;
  readonly totalSec: number;
}

/**
 * Runs the model for real, twice, and times its stages: loading, the FP8 compile, denoising, the
 * silent final decode and saving. The timings are what the engine's hang timer allows for later.
 */
export async function smokeLiveAvatar(
  rig: LiveAvatarRig,
  gpu: string,
  o: { workDir: string; imagePath?: string; log: (line: string) => void },
): Promise<{ runs: SmokeRun[]; timings: ModelTimings }> {
  const portraitFile = join(o.workDir, 'portrait.png');
  // Any portrait times the model; a real face shows whether the result looks right.
  const image = o.imagePath
    ? uprightRgb(o.imagePath)
    : sharp({ create: { width: 512, height: 512, channels: 3, background: { r: 128, g: 120, b: 110 } } });
  const info = await image.png().toFile(portraitFile);
  const portrait: Frame = { width: info.width, height: info.height };
  const runs: SmokeRun[] = [];
  for (const [i, { size, clips }] of SMOKE_RUNS.entries()) {
    const audio = join(o.workDir, `smoke-${i}.wav`);
    const out = join(o.workDir, `smoke-${i}.mp4`);
    // (clips − 1) × 1.92 s and one more second: the model's count gives exactly `clips`.
    await toneAudio((clips - 1) * LIVEAVATAR.clipSeconds + 1, audio);
    const launch = buildLaunch(
      rig.plan,
      {
        prompt: 'A presenter speaking to the camera',
        imagePath: portraitFile,
        audioPath: audio,
        size,
        numClip: clips,
        seed: 420,
        saveFile: out,
      },
      rig.install,
      { masterPort: await freePort(), p2pWorks: rig.p2pWorks },
    );
    const stages: Partial<Record<ModelStage, number>> = {};
    let current: ModelStage | undefined;
    let since = performance.now();
    const started = since;
    const close = (): void => {
      if (current) stages[current] = (stages[current] ?? 0) + (performance.now() - since) / 1000;
    };
    o.log(`run ${i + 1}: ${clips} clip${clips > 1 ? 's' : ''} at ${size}`);
    const outcome = await runModel(launch, {
      clips,
      processes: LIVEAVATAR.modes[rig.plan.mode].processes,
      compiles: rig.plan.fp8,
      hangSec: 1800,
      // Nothing is known yet: allow the unmeasured stages all the time they could take.
      timings: UNMEASURED,
      timeoutSec: 3 * 3600,
      onProgress: (p) => {
        if (p.stage === current) return;
        close();
        current = p.stage;
        since = performance.now();
        o.log(`  ${p.stage}`);
      },
    });
    close();
    if (outcome.kind !== 'done')
      throw new RenderError(
        'MODEL_FAILED',
        `Smoke run ${i + 1} (${clips} clips at ${size}) ended: ${JSON.stringify(outcome)}`,
      );
    const frame = modelFrame(size, portrait);
    const p = existsSync(out) ? await probe(out) : undefined;
    if (p?.video?.width !== frame.width || p.video.height !== frame.height || !p.audio)
      throw new RenderError(
        'MODEL_FAILED',
        `Smoke run ${i + 1} exited 0 but its video is wrong: expected ${frameName(frame)} with audio at ${out}.`,
      );
    runs.push({
      size,
      clips,
      frame: frameName(frame),
      stages,
      totalSec: (performance.now() - started) / 1000,
    });
  }
  const long = runs[1]!;
  const timings: ModelTimings = {
    gpu,
    measuredAt: new Date().toISOString(),
    loadSec: Math.max(...runs.map((r) => r.stages.loading ?? 0)),
    compileSec: long.stages.compiling ?? 0,
    denoiseSecPerClip: Math.max(0.001, (long.stages.denoising ?? 0) / long.clips),
    decodeSecPerClip: (long.stages.decoding ?? 0) / Math.max(1, long.clips - 1),
    saveSecPerClip: (long.stages.saving ?? 0) / long.clips,
  };
  return { runs, timings };
}
