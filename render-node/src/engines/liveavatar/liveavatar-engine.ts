import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { audioInput } from '../../media/input-checks.js';
import { RenderError } from '../../contract/render-errors.js';
import { sha256File } from '../../media/file-hash.js';
import {
  cutAudio,
  ENCODED_HLS_DIR,
  ENCODED_MP4,
  extractPoster,
  HLS_PLAYLIST,
  joinLesson,
  probe,
} from '../../media/ffmpeg.js';
import { planClipBatches, type ClipBatch } from './clip-batches.js';
import { LIVEAVATAR } from './cli-flags.js';
import { nextRung, type QualitySettings } from './fallback-ladder.js';
import { buildLaunch, type LiveAvatarInstall } from './launch-command.js';
import type { LaunchPlan } from './launch-plan.js';
import { runModel, type RunOutcome } from './run-model.js';

export const LIVEAVATAR_ENGINE_VERSION = '0.2.0';
/** The engine's resumable state in the work folder: settings reached, finished batches, history. */
export const STATE_FILE = 'liveavatar-state.json';
/** A finished batch's video, relative to the work folder. */
export const batchFileName = (index: number): string => `batch-${index}.mp4`;
const POSTER_FILE = 'poster.jpg';

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
  readonly size: string;
  readonly sampleSteps?: number;
  readonly onlineDecode?: boolean;
  readonly seed?: number;
}

export interface LiveAvatarOptions {
  /** Keeps the parts and the state between attempts: a restarted job resumes from it. */
  readonly workDir: string;
  readonly plan: LaunchPlan;
  readonly install: LiveAvatarInstall;
  readonly p2pWorks?: boolean;
  readonly maxClipsPerBatch?: number;
  readonly hangSec?: number;
  readonly batchTimeoutSec?: number;
  readonly masterPort?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: {
    batch: number;
    batches: number;
    clipsDone: number;
    clipsTotal: number;
  }) => void;
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
  /** `file` is relative to the work folder, so the state moves between nodes. */
  done: Array<{ index: number; file: string; durationSec: number }>;
  history: Attempt[];
}

export interface LiveAvatarResult {
  readonly engine: { readonly name: 'liveavatar'; readonly version: string };
  readonly delivered: QualitySettings;
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
  const batches = planClipBatches(audioSec, o.maxClipsPerBatch ?? 100);
  // Keyed by content, not paths: a node that downloaded the same inputs elsewhere may resume.
  const { imagePath, audioPath, ...settings } = req;
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        LIVEAVATAR_ENGINE_VERSION,
        settings,
        await sha256File(imagePath),
        await sha256File(audioPath),
        batches.length,
        o.maxClipsPerBatch ?? 100,
      ]),
    )
    .digest('hex');
  const state = await loadState(o.workDir, key, {
    size: req.size,
    sampleSteps: req.sampleSteps ?? LIVEAVATAR.sampleSteps.default,
    onlineDecode: req.onlineDecode ?? false,
  });
  const save = (): Promise<void> => writeFile(join(o.workDir, STATE_FILE), JSON.stringify(state, null, 2));

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
      if ((await renderBatch(batch, batches.length, req, o, state, save)) === 'restart') {
        pass = 'restart';
        break;
      }
    }
  }

  const parts = batches.map((b) => join(o.workDir, state.done.find((d) => d.index === b.index)!.file));
  await joinLesson({
    parts,
    scratchDir: o.workDir,
    audioPath: req.audioPath,
    workDir: o.workDir,
    hlsSegmentSeconds: 4,
    metadata: { comment: req.prompt, description: req.prompt },
  });
  await extractPoster(join(o.workDir, ENCODED_MP4), Math.min(1, audioSec / 2), join(o.workDir, POSTER_FILE));
  return {
    engine: { name: 'liveavatar', version: LIVEAVATAR_ENGINE_VERSION },
    delivered: state.settings,
    batches: batches.length,
    durationSec: (await probe(join(o.workDir, ENCODED_MP4))).durationSec ?? 0,
    history: state.history,
    files: { mp4: ENCODED_MP4, hlsPlaylist: `${ENCODED_HLS_DIR}/${HLS_PLAYLIST}`, poster: POSTER_FILE },
  };
}

async function renderBatch(
  batch: ClipBatch,
  total: number,
  req: LiveAvatarRequest,
  o: LiveAvatarOptions,
  state: State,
  save: () => Promise<void>,
): Promise<'done' | 'restart'> {
  const audio = join(o.workDir, `batch-${batch.index}.wav`);
  const out = join(o.workDir, batchFileName(batch.index));
  await cutAudio(req.audioPath, batch.startSec, batch.endSec, audio);
  for (;;) {
    const launch = buildLaunch(
      o.plan,
      {
        prompt: req.prompt,
        imagePath: req.imagePath,
        audioPath: audio,
        size: state.settings.size,
        numClip: batch.clips,
        sampleSteps: state.settings.sampleSteps,
        onlineDecode: state.settings.onlineDecode,
        seed: req.seed ?? 420,
        saveFile: out,
      },
      o.install,
      { masterPort: o.masterPort ?? 29500 + (process.pid % 1000), p2pWorks: o.p2pWorks ?? true },
    );
    await rm(out, { force: true });
    const outcome = await runModel(launch, {
      clips: batch.clips,
      processes: LIVEAVATAR.modes[o.plan.mode].processes,
      hangSec: o.hangSec ?? 600,
      timeoutSec: o.batchTimeoutSec ?? 6 * 3600,
      signal: o.signal,
      onProgress: (clipsDone, clipsTotal) =>
        o.onProgress?.({ batch: batch.index, batches: total, clipsDone, clipsTotal }),
    });
    const record = (note: string): void => {
      state.history.push({ batch: batch.index, settings: state.settings, outcome: outcome.kind, note });
    };
    switch (outcome.kind) {
      case 'done': {
        // The model's CLI exits 0 even when saving failed: check the file itself.
        const durationSec = await verifyPart(out, batch);
        state.done.push({ index: batch.index, file: batchFileName(batch.index), durationSec });
        record(`rendered ${batch.clips} clips (${durationSec.toFixed(2)} s)`);
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
        const rung = nextRung(state.settings, o.plan.mode);
        if (!rung) {
          record(`CUDA out of memory with nothing left to try: ${outcome.message}`);
          await save();
          throw new RenderError(
            'GPU_OUT_OF_MEMORY',
            `The GPU ran out of memory even at the smallest settings. ${story(state.history)}`,
          );
        }
        record(`CUDA out of memory; next: ${rung.step}`);
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
        record(`no output for ${outcome.silentSec} s; the process group was killed`);
        await save();
        throw new RenderError(
          'MODEL_HUNG',
          `Live Avatar stopped answering in batch ${batch.index + 1} of ${total}; it will resume there.`,
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

async function verifyPart(file: string, batch: ClipBatch): Promise<number> {
  const p = existsSync(file) ? await probe(file).catch(() => undefined) : undefined;
  const expected = batch.endSec - batch.startSec;
  const duration = p?.durationSec ?? 0;
  if (!p?.video || !p.audio || Math.abs(duration - expected) > 0.2) {
    throw new RenderError(
      'MODEL_FAILED',
      `Live Avatar reported success for batch ${batch.index + 1} but its video is missing or wrong ` +
        `(${p ? `${duration.toFixed(2)} s, video ${p.video ? 'yes' : 'no'}, audio ${p.audio ? 'yes' : 'no'}` : 'no file'}; expected ${expected.toFixed(2)} s).`,
    );
  }
  return duration;
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

const story = (history: readonly Attempt[]): string =>
  history
    .map(
      (a) =>
        `Batch ${a.batch + 1} at ${a.settings.size}, ${a.settings.sampleSteps} steps${a.settings.onlineDecode ? ', online decode' : ''}: ${a.note}.`,
    )
    .join(' ');
