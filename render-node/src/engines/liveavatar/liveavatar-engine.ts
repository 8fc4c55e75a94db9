import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { audioInput } from '../../media/input-checks.js';
import { RenderError } from '../../contract/render-errors.js';
import { sha256File } from '../../media/file-hash.js';
import {
  crossfadeJoin,
  cutAudio,
  ENCODED_HLS_DIR,
  ENCODED_MP4,
  extractPoster,
  HLS_PLAYLIST,
  muxLesson,
  probe,
} from '../../media/ffmpeg.js';
import { uprightRgb } from '../../media/portrait-image.js';
import { analyseVoice } from '../preview/voice/voice-track.js';
import { batchClipLimit } from './batch-length.js';
import { partFrames, planClipBatches, type ClipBatch } from './clip-batches.js';
import { LIVEAVATAR } from './cli-flags.js';
import { nextRung, type QualitySettings } from './fallback-ladder.js';
import { frameName, modelFrame, type Frame } from './frame-size.js';
import { buildLaunch, freePort, type LiveAvatarInstall } from './launch-command.js';
import type { LaunchPlan } from './launch-plan.js';
import type { ModelStage } from './model-output.js';
import { UNMEASURED, type ModelTimings } from './model-timings.js';
import { runModel, type RunOutcome } from './run-model.js';

export const LIVEAVATAR_ENGINE_VERSION = '0.3.0';
/** The engine's resumable state in the work folder: settings reached, finished batches, history. */
export const STATE_FILE = 'liveavatar-state.json';
/** A finished batch's video, relative to the work folder. */
export const batchFileName = (index: number): string => `batch-${index}.mp4`;
const POSTER_FILE = 'poster.jpg';
/** The portrait as the model must see it: upright (the model's PIL ignores EXIF orientation), RGB. */
const PORTRAIT_FILE = 'portrait.png';
/** A join dissolves over 8 frames (0.32 s), placed on a pause in the voice. */
export const CROSSFADE_FRAMES = 8;
/** Clip seeds are base_seed + r within a run: runs step by this, so no two clips share a seed. */
const SEED_STRIDE = 1000;

/** Refuses a size the model's pipelines cannot render (its conditioning cache is fixed). */
export function checkLiveAvatarSize(size: string): void {
  if (!(LIVEAVATAR.sizes as readonly string[]).includes(size))
    throw new RenderError(
      'BAD_SIZE',
      `The liveavatar engine renders ${LIVEAVATAR.sizes.join(', ')}; not ${size}.`,
    );
}

export interface LiveAvatarRequest {
  readonly imagePath: string;
  readonly audioPath: string;
  readonly prompt: string;
  /** An area (frame-size.ts): the frame follows the portrait's aspect ratio. */
  readonly size: string;
  readonly seed?: number;
}

export interface LiveAvatarOptions {
  /** Keeps the parts and the state between attempts: a restarted job resumes from it. */
  readonly workDir: string;
  readonly plan: LaunchPlan;
  readonly install: LiveAvatarInstall;
  readonly p2pWorks?: boolean;
  /** At most this many clips a run; by default as many as host memory and the silent decode allow. */
  readonly maxClipsPerBatch?: number;
  /** Longest silence between two progress bars; the silent stages get budgets from `timings`. */
  readonly hangSec?: number;
  /** This node's measured stage timings (`vt smoke`); unmeasured defaults otherwise. */
  readonly timings?: ModelTimings;
  /** Host memory the model may use, GiB (defaults to the machine's). */
  readonly hostGiB?: number;
  readonly batchTimeoutSec?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: LiveAvatarProgress) => void;
  /**
   * After each finished batch, with the state saved: a render node uploads the part and the state
   * so that a job restarted on another node resumes after it.
   */
  readonly onBatchDone?: (b: {
    index: number;
    batches: number;
    file: string;
    stateFile: string;
  }) => Promise<void>;
}

export interface LiveAvatarProgress {
  readonly batch: number;
  readonly batches: number;
  readonly stage: ModelStage;
  readonly clipsDone: number;
  readonly clipsTotal: number;
  /** What the stage should take on this node, seconds (measured by `vt smoke`, or a default). */
  readonly stageSec: number;
}

/** What a stage is called where people read it. */
export const STAGE_NAMES: Readonly<Record<ModelStage, string>> = {
  loading: 'loading the model',
  compiling: 'compiling (FP8)',
  denoising: 'rendering clips',
  decoding: 'decoding clip frames',
  saving: 'saving',
};

/** A progress line: the batch, the stage, and clips or the stage's expected length. */
export function progressText(p: LiveAvatarProgress): string {
  const batch = p.batches > 1 ? `batch ${p.batch + 1} of ${p.batches}: ` : '';
  if (p.stage === 'denoising') return `${batch}clip ${p.clipsDone} of ${p.clipsTotal}`;
  const about =
    p.stageSec >= 60 ? `about ${Math.round(p.stageSec / 60)} min` : `about ${Math.round(p.stageSec)} s`;
  return `${batch}${STAGE_NAMES[p.stage]} (${about})`;
}

/** One try of one batch, kept so the author can see what quality was delivered and why. */
export interface Attempt {
  readonly batch: number;
  readonly settings: QualitySettings;
  readonly outcome: RunOutcome['kind'] | 'resumed' | 'restarted';
  readonly note: string;
}

interface State {
  readonly key: string;
  settings: QualitySettings;
  /** `file` is relative to the work folder, so the state moves between nodes; `frames` it really has. */
  done: Array<{ index: number; file: string; frames: number }>;
  history: Attempt[];
}

export interface LiveAvatarResult {
  readonly engine: { readonly name: 'liveavatar'; readonly version: string };
  readonly delivered: QualitySettings;
  /** The frame rendered, e.g. "448x640" for a 3:4 portrait at 720*400. */
  readonly frame: string;
  readonly batches: number;
  readonly durationSec: number;
  readonly history: readonly Attempt[];
  readonly files: { readonly mp4: string; readonly hlsPlaylist: string; readonly poster: string };
}

/**
 * The `liveavatar` engine: renders a lesson batch by batch through the model's CLI, stepping down the
 * fallback ladder when CUDA runs out of memory, resuming after the last finished batch when the job
 * runs again, then joins the batches losslessly and adds the original audio, HLS and a poster.
 */
export async function renderLiveAvatar(
  req: LiveAvatarRequest,
  o: LiveAvatarOptions,
): Promise<LiveAvatarResult> {
  // Read as the type its bytes are, by that type's demuxer only (as every user file is).
  const audioSec =
    (await probe(req.audioPath, { demuxer: (await audioInput(req.audioPath)).demuxer })).durationSec ?? 0;
  if (audioSec <= 0) throw new RenderError('AUDIO_EMPTY', 'The audio holds no sound.');
  const portraitFile = join(o.workDir, PORTRAIT_FILE);
  const upright = await uprightRgb(req.imagePath).png().toFile(portraitFile);
  const portrait: Frame = { width: upright.width, height: upright.height };
  const timings = o.timings ?? UNMEASURED;
  const maxClips = batchClipLimit({
    plan: o.plan,
    frame: modelFrame(req.size, portrait),
    timings,
    hostGiB: o.hostGiB,
    cap: o.maxClipsPerBatch,
  });
  const batchOptions = { maxClips, crossfadeFrames: CROSSFADE_FRAMES };
  let batches = planClipBatches(audioSec, batchOptions);
  if (batches.length > 1) {
    // Cut where the voice pauses: the dissolve then falls on a closed mouth.
    const voice = await analyseVoice(req.audioPath, { fps: LIVEAVATAR.fps, maxSeconds: audioSec + 1 });
    batches = planClipBatches(audioSec, { ...batchOptions, voice: voice.speechProb });
  }
  // Keyed by content, not paths: a node that downloaded the same inputs elsewhere may resume.
  const { imagePath, audioPath, ...settings } = req;
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        LIVEAVATAR_ENGINE_VERSION,
        settings,
        await sha256File(imagePath),
        await sha256File(audioPath),
        batches.map((b) => [b.startFrame, b.endFrame, b.clips]),
      ]),
    )
    .digest('hex');
  const state = await loadState(o.workDir, key, { size: req.size, offloadKvCache: false, t5Cpu: false });
  const save = (): Promise<void> => writeFile(join(o.workDir, STATE_FILE), JSON.stringify(state, null, 2));
  const job: BatchJob = { req, o, portraitFile, portrait, timings, total: batches.length };

  // A size drop invalidates finished batches (parts of different sizes cannot be joined): start over.
  let pass: 'complete' | 'restart' = 'restart';
  while (pass === 'restart') {
    pass = 'complete';
    for (const batch of batches) {
      if (state.done.some((d) => d.index === batch.index)) {
        state.history.push({
          batch: batch.index,
          settings: state.settings,
          outcome: 'resumed',
          note: 'already rendered',
        });
        continue;
      }
      if ((await renderBatch(batch, job, state, save)) === 'restart') {
        pass = 'restart';
        break;
      }
    }
  }

  const joined = join(o.workDir, 'joined.mp4');
  await crossfadeJoin({
    parts: batches.map((b) => {
      const done = state.done.find((d) => d.index === b.index)!;
      return { file: join(o.workDir, done.file), frames: partFrames(b), has: done.frames };
    }),
    crossfadeFrames: CROSSFADE_FRAMES,
    fps: LIVEAVATAR.fps,
    // The model saves at CRF 10; a join re-encodes once, near that.
    encoder: { preset: 'veryfast', crf: 14 },
    target: joined,
  });
  await muxLesson({
    video: joined,
    audioPath: req.audioPath,
    workDir: o.workDir,
    hlsSegmentSeconds: 4,
    metadata: { comment: req.prompt, description: req.prompt },
  });
  await extractPoster(join(o.workDir, ENCODED_MP4), Math.min(1, audioSec / 2), join(o.workDir, POSTER_FILE));
  return {
    engine: { name: 'liveavatar', version: LIVEAVATAR_ENGINE_VERSION },
    delivered: state.settings,
    frame: frameName(modelFrame(state.settings.size, portrait)),
    batches: batches.length,
    durationSec: (await probe(join(o.workDir, ENCODED_MP4))).durationSec ?? 0,
    history: state.history,
    files: { mp4: ENCODED_MP4, hlsPlaylist: `${ENCODED_HLS_DIR}/${HLS_PLAYLIST}`, poster: POSTER_FILE },
  };
}

/** What every batch of one lesson shares. */
interface BatchJob {
  readonly req: LiveAvatarRequest;
  readonly o: LiveAvatarOptions;
  readonly portraitFile: string;
  readonly portrait: Frame;
  readonly timings: ModelTimings;
  readonly total: number;
}

async function renderBatch(
  batch: ClipBatch,
  job: BatchJob,
  state: State,
  save: () => Promise<void>,
): Promise<'done' | 'restart'> {
  const { req, o, total } = job;
  const audio = join(o.workDir, `batch-${batch.index}.wav`);
  const out = join(o.workDir, batchFileName(batch.index));
  await cutAudio(req.audioPath, batch.startSec, batch.endSec, audio);
  for (;;) {
    const launch = buildLaunch(
      o.plan,
      {
        prompt: req.prompt,
        imagePath: job.portraitFile,
        audioPath: audio,
        size: state.settings.size,
        numClip: batch.clips,
        offloadKvCache: state.settings.offloadKvCache,
        t5Cpu: state.settings.t5Cpu,
        // Each run restarts its clip seeds at base_seed: a new base keeps parts from repeating noise.
        seed: (req.seed ?? 420) + batch.index * SEED_STRIDE,
        saveFile: out,
      },
      o.install,
      // One port per run: two jobs on one node must not meet at the same rendezvous.
      { masterPort: await freePort(), p2pWorks: o.p2pWorks ?? true },
    );
    await rm(out, { force: true });
    const outcome = await runModel(launch, {
      clips: batch.clips,
      processes: LIVEAVATAR.modes[o.plan.mode].processes,
      compiles: o.plan.fp8,
      hangSec: o.hangSec ?? 600,
      timings: job.timings,
      timeoutSec: o.batchTimeoutSec ?? 6 * 3600,
      signal: o.signal,
      onProgress: (p) => o.onProgress?.({ batch: batch.index, batches: total, ...p }),
    });
    const record = (note: string): void => {
      state.history.push({ batch: batch.index, settings: state.settings, outcome: outcome.kind, note });
    };
    switch (outcome.kind) {
      case 'done': {
        // The model's CLI exits 0 even when saving or muxing failed: check the file itself.
        const frames = await verifyPart(out, batch, modelFrame(state.settings.size, job.portrait));
        state.done.push({ index: batch.index, file: batchFileName(batch.index), frames });
        record(`rendered ${batch.clips} clips (${frames} frames for ${partFrames(batch)})`);
        await save();
        await o.onBatchDone?.({
          index: batch.index,
          batches: total,
          file: out,
          stateFile: join(o.workDir, STATE_FILE),
        });
        return 'done';
      }
      case 'oom': {
        if (outcome.where === 'host') {
          record(`host memory ran out: ${outcome.message}`);
          await save();
          throw new RenderError(
            'MODEL_FAILED',
            `The node ran out of host memory in batch ${batch.index + 1} of ${total} (the system killed a ` +
              `model process). Give the node more RAM or set VT_LIVEAVATAR_MAX_CLIPS lower. ${story(state.history)}`,
          );
        }
        const rung = nextRung(state.settings, o.plan.mode, job.portrait);
        if (!rung) {
          record(`GPU out of memory with nothing left to try: ${outcome.message}`);
          await save();
          throw new RenderError(
            'GPU_OUT_OF_MEMORY',
            `The GPU ran out of memory even with every saving tried. ${story(state.history)}`,
          );
        }
        record(`GPU out of memory; next: ${rung.step}`);
        if (rung.settings.size !== state.settings.size && state.done.length > 0) {
          state.history.push({
            batch: batch.index,
            settings: rung.settings,
            outcome: 'restarted',
            note: `${state.done.length} finished batches to render again at ${rung.settings.size}`,
          });
          state.done = [];
          state.settings = rung.settings;
          await save();
          return 'restart';
        }
        state.settings = rung.settings;
        await save();
        continue;
      }
      case 'cancelled':
        record('cancelled');
        await save();
        throw new RenderError('CANCELLED', 'The render was cancelled.');
      case 'hang':
        record(
          `no output for ${outcome.silentSec} s while ${STAGE_NAMES[outcome.stage]}; the process group was killed`,
        );
        await save();
        throw new RenderError(
          'MODEL_HUNG',
          `Live Avatar stopped answering in batch ${batch.index + 1} of ${total} (${STAGE_NAMES[outcome.stage]}); ` +
            'it will resume there.',
        );
      case 'timeout':
        record(`still running after ${outcome.afterSec} s; the process group was killed`);
        await save();
        throw new RenderError(
          'MODEL_HUNG',
          `Batch ${batch.index + 1} of ${total} took too long; it will resume there.`,
        );
      case 'crashed':
        record(outcome.message);
        await save();
        throw new RenderError(
          'MODEL_FAILED',
          `Live Avatar failed in batch ${batch.index + 1} of ${total}: ${outcome.message}`,
        );
    }
  }
}

/**
 * The part as the model left it: a video of the expected frame with the voice muxed in, and nearly
 * the frames the part needs (the join cuts the spare and repeats a last frame where the model's clip
 * count fell up to 3 short). Returns the frames it really has.
 */
async function verifyPart(file: string, batch: ClipBatch, frame: Frame): Promise<number> {
  const p = existsSync(file) ? await probe(file, { countFrames: true }).catch(() => undefined) : undefined;
  const need = partFrames(batch);
  const has = p?.video?.frames ?? 0;
  const sized = p?.video?.width === frame.width && p.video.height === frame.height;
  if (!p?.video || !p.audio || !sized || has < need - 3) {
    throw new RenderError(
      'MODEL_FAILED',
      `Live Avatar reported success for batch ${batch.index + 1} but its video is missing or wrong ` +
        `(${p?.video ? `${p.video.width}x${p.video.height}, ${has} frames, audio ${p.audio ? 'yes' : 'no'}` : 'no video'}; ` +
        `expected ${frameName(frame)}, ${need} frames, with audio).`,
    );
  }
  return has;
}

async function loadState(workDir: string, key: string, settings: QualitySettings): Promise<State> {
  try {
    const saved = JSON.parse(await readFile(join(workDir, STATE_FILE), 'utf8')) as State;
    if (saved.key === key) return saved;
  } catch {
    // no state yet
  }
  return { key, settings, done: [], history: [] };
}

/** A quality setting in words, for histories and notes. */
export const describeSettings = (s: QualitySettings): string =>
  [s.size, s.offloadKvCache ? 'KV caches on the CPU' : '', s.t5Cpu ? 'T5 on the CPU' : '']
    .filter(Boolean)
    .join(', ');

const story = (history: readonly Attempt[]): string =>
  history.map((a) => `Batch ${a.batch + 1} at ${describeSettings(a.settings)}: ${a.note}.`).join(' ');
