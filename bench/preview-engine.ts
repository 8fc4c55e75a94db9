/**
 * Preview engine benchmark (issue: 60 s of speech at 688×368@25 on this machine).
 *   node dist/bench/preview-engine.js [--minutes-long 10]
 * Prints, from one run: the engine's throughput against ffmpeg encoding the same number of frames
 * alone (same settings, same audio, frames cycled from real rendered ones), in a one-shot `vt render`
 * and in a warm render node; × real time, the render process's peak RSS, and how soon the first frame
 * and the first playable HLS segment come, for a 1-minute and a 10-minute lesson, cold and warm.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { promisify } from 'node:util';
import { loadConfig } from '../render-node/src/config.js';
import { startEncoder } from '../render-node/src/media/ffmpeg.js';
import { renderPreview } from '../render-node/src/engines/preview/preview-engine.js';
import { keepAnalysisThreadsLoaded } from '../render-node/src/engines/preview/voice/stream-worker.js';
import { parseSize } from '../render-node/src/render-size.js';
import { recordFigures } from './bench-results.js';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const vt = join(root, 'dist/render-node/src/cli/vt.js');
const portrait = join(root, 'samples/trainer-portrait.jpg');
const FPS = 25;
const W = 688;
const H = 368;
const flag = process.argv.indexOf('--minutes-long');
const longMinutes = flag > 0 ? Number(process.argv[flag + 1]) : 10;

interface Measured {
  wallSec: number;
  peakRssMb: number;
}

function measure(args: string[]): Promise<Measured> {
  return new Promise((res, rej) => {
    const started = performance.now();
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let peak = 0;
    let err = '';
    const timer = setInterval(() => {
      try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1]);
        if (kb) peak = Math.max(peak, kb / 1024);
      } catch {
        /* exited */
      }
    }, 20);
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('close', (code) => {
      clearInterval(timer);
      if (code !== 0) rej(new Error(`exit ${code}: ${err}`));
      else res({ wallSec: (performance.now() - started) / 1000, peakRssMb: peak });
    });
  });
}

async function speech(dir: string, seconds: number): Promise<string> {
  const script =
    'Welcome to the course. In this lesson we look at the safety rules of the warehouse, ' +
    'the fire exits, and what to do in an emergency. Please listen carefully.';
  await run('espeak-ng', ['-v', 'en-us', '-w', join(dir, 'unit-speech.wav'), script]);
  await run('sox', ['-n', '-r', '22050', '-c', '1', '-b', '16', join(dir, 'pause.wav'), 'trim', '0', '0.8']);
  await run('sox', [join(dir, 'unit-speech.wav'), join(dir, 'pause.wav'), join(dir, 'unit.wav')]);
  const out = join(dir, `speech-${seconds}s.wav`);
  const unit = Number((await run('soxi', ['-D', join(dir, 'unit.wav')])).stdout);
  await run('sox', [
    join(dir, 'unit.wav'),
    join(dir, 'long.wav'),
    'repeat',
    String(Math.ceil(seconds / unit)),
  ]);
  await run('sox', [join(dir, 'long.wav'), out, 'trim', '0', String(seconds)]);
  return out;
}

/** ffmpeg alone: the same encoder settings and audio, fed `frames` raw frames cycled from real ones. */
async function encoderOnly(dir: string, audio: string, sample: Buffer[], frames: number): Promise<number> {
  const config = loadConfig();
  const workDir = mkdtempSync(join(dir, 'enc-'));
  const started = performance.now();
  const encoder = startEncoder({
    width: W,
    height: H,
    fps: FPS,
    audio: { path: audio, demuxer: 'wav' }, // sox's WAV, made above
    workDir,
    hlsSegmentSeconds: 4,
    preset: config.VT_X264_PRESET,
    crf: config.VT_X264_CRF,
  });
  // A fresh buffer a frame, as the engine makes: the pipe holds references until ffmpeg reads them.
  for (let f = 0; f < frames; f++) await encoder.write(Buffer.from(sample[f % sample.length]!));
  await encoder.finish();
  return (performance.now() - started) / 1000;
}

/**
 * A render node's next renders, in this process, after one render has warmed it (models loaded,
 * ffmpeg found): the 1-minute lesson end to end, each time right after the encoder alone (the floor,
 * measured beside it); then how soon the 10-minute lesson gives its first frame and its first
 * playable segment, of the same presenter (the engine remembers the framed portrait) and of a
 * presenter it has not seen (the mirrored portrait: other bytes, the same work).
 */
async function warmNode(
  dir: string,
  oneMinute: string,
  long: string,
  encoderAlone: () => Promise<number>,
): Promise<{
  rounds: Round[];
  samePresenter: { firstFrameSec: number; firstSegmentSec: number };
  newPresenter: { firstFrameSec: number; firstSegmentSec: number };
}> {
  keepAnalysisThreadsLoaded(); // as startRenderWorkers does in a node
  const config = loadConfig();
  const once = async (name: string, imagePath: string, audioPath: string) => {
    const workDir = mkdtempSync(join(dir, name));
    const result = await renderPreview(
      { imagePath, audioPath, prompt: '', size: parseSize(`${W}*${H}`), fps: FPS },
      {
        workDir,
        maxAudioSeconds: config.VT_MAX_AUDIO_SECONDS,
        x264Preset: config.VT_X264_PRESET,
        x264Crf: config.VT_X264_CRF,
      },
    );
    const { firstFrameSec, firstSegmentSec, totalSec } = result.timings;
    return { firstFrameSec, firstSegmentSec: firstSegmentSec!, totalSec };
  };
  const mirrored = join(dir, 'mirrored-portrait.jpg');
  await sharp(portrait).flop().jpeg({ quality: 90 }).toFile(mirrored);
  await once('warm-', portrait, oneMinute);
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const encoderSec = await encoderAlone();
    rounds.push({ encoderSec, engineSec: (await once(`warm-minute-${i}-`, portrait, oneMinute)).totalSec });
  }
  const samePresenter = await once('warmed-', portrait, long);
  const newPresenter = await once('new-', mirrored, long);
  return { rounds, samePresenter, newPresenter };
}

/** The encoder alone, then the engine right after it: one pair, so both meet the machine alike. */
interface Round {
  encoderSec: number;
  engineSec: number;
}
/** Pairs per figure: this machine's speed drifts by a quarter within a run; the median pair is shown. */
const ROUNDS = 3;
const ratioOf = (r: Round): number => r.encoderSec / r.engineSec;
function medianRound<T extends Round>(rounds: T[]): T & { range: string } {
  const sorted = [...rounds].sort((a, b) => ratioOf(a) - ratioOf(b));
  const pct = (r: Round): string => (100 * ratioOf(r)).toFixed(0);
  return { ...sorted[Math.floor(sorted.length / 2)]!, range: `${pct(sorted[0]!)}–${pct(sorted.at(-1)!)} %` };
}

async function renderedFrames(mp4: string, count: number): Promise<Buffer[]> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', mp4, '-frames:v', String(count), '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'],
    { encoding: 'buffer', maxBuffer: 1 << 30 },
  );
  const size = (W * H * 3) / 2;
  return Array.from({ length: stdout.length / size }, (_, i) => stdout.subarray(i * size, (i + 1) * size));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vt-bench-'));
  try {
    const config = loadConfig();
    console.log(
      `preview engine benchmark · ${cpus().length} × ${cpus()[0]?.model.trim()} · Node ${process.version}`,
    );
    console.log(
      `x264 preset ${config.VT_X264_PRESET}, crf ${config.VT_X264_CRF}, ${W}×${H}@${FPS}, AAC, MP4 + HLS in one encode\n`,
    );
    const oneMinute = await speech(dir, 60);
    const long = await speech(dir, longMinutes * 60);
    const frames = 60 * FPS;

    const render = (audio: string, out: string): Promise<Measured> =>
      measure([
        vt,
        'render',
        '--image',
        portrait,
        '--audio',
        audio,
        '--size',
        `${W}*${H}`,
        '--out',
        join(dir, out),
      ]);
    await render(oneMinute, 'warmup.mp4'); // page cache, model files
    const timings = (name: string) =>
      (
        JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as {
          timings: {
            firstFrameSec: number;
            firstSegmentSec: number;
            analyseSec: number;
            renderSec: number;
            totalSec: number;
          };
        }
      ).timings;
    const sample = await renderedFrames(join(dir, 'warmup.mp4'), 100);
    const coldRounds = [];
    for (let i = 0; i < ROUNDS; i++) {
      const encoderSec = await encoderOnly(dir, oneMinute, sample, frames);
      const process = await render(oneMinute, `one-minute-${i}.mp4`);
      const t = timings(`one-minute-${i}`);
      coldRounds.push({ encoderSec, engineSec: t.totalSec, timings: t, process });
    }
    const cold = medianRound(coldRounds);
    const { encoderSec, process: engine } = cold;
    const meta = { timings: cold.timings };
    const longRun = await render(long, 'long.mp4');
    const longTimings = timings('long');
    const warm = await warmNode(dir, oneMinute, long, () => encoderOnly(dir, oneMinute, sample, frames));

    const engineFps = frames / meta.timings.totalSec;
    const pipelineFps = frames / meta.timings.renderSec;
    const encoderFps = frames / encoderSec;
    const pct = (fps: number): string => `${((100 * fps) / encoderFps).toFixed(0)} %`;
    const warmRound = medianRound(warm.rounds);
    const warmFps = frames / warmRound.engineSec;
    const warmEncoderFps = frames / warmRound.encoderSec;
    const rows: Array<[string, string]> = [
      [
        'encoder alone (ffmpeg, same frames)',
        `${encoderFps.toFixed(0)} fps · ${encoderSec.toFixed(2)} s (the median pair's, in a one-shot vt render)`,
      ],
      [
        'engine frame pipeline (draw + encode)',
        `${pipelineFps.toFixed(0)} fps · ${meta.timings.renderSec.toFixed(2)} s = ${pct(pipelineFps)} of encoder alone (target ≥ 80 %)`,
      ],
      [
        'engine end to end (+ checks, analysis)',
        `${engineFps.toFixed(0)} fps · ${meta.timings.totalSec.toFixed(2)} s = ${pct(engineFps)} of encoder alone ` +
          `(voice analysed meanwhile, by ${meta.timings.analyseSec.toFixed(2)} s; ${ROUNDS} pairs: ${cold.range})`,
      ],
      [
        'engine end to end, warm render node',
        `${warmFps.toFixed(0)} fps · ${warmRound.engineSec.toFixed(2)} s = ${((100 * warmFps) / warmEncoderFps).toFixed(0)} % ` +
          `of encoder alone run just before it (${warmEncoderFps.toFixed(0)} fps; target ≥ 80 %; ` +
          `${ROUNDS} pairs: ${warmRound.range})`,
      ],
      [
        'first frame · first HLS segment, 1 minute',
        `${meta.timings.firstFrameSec.toFixed(2)} s · ${meta.timings.firstSegmentSec.toFixed(2)} s after the start (target ≈ 0.2 s · ≤ 2 s)`,
      ],
      [
        `first frame · first HLS segment, ${longMinutes} minutes`,
        `${longTimings.firstFrameSec.toFixed(2)} s · ${longTimings.firstSegmentSec.toFixed(2)} s (whole voice analysed at ${longTimings.analyseSec.toFixed(1)} s)`,
      ],
      [
        `first frame · first HLS segment, ${longMinutes} minutes, warm node`,
        `${warm.samePresenter.firstFrameSec.toFixed(2)} s · ${warm.samePresenter.firstSegmentSec.toFixed(2)} s ` +
          `(a render node's next render, same presenter; target ≈ 0.2 s)`,
      ],
      [
        `first frame · first HLS segment, ${longMinutes} minutes, warm node, new presenter`,
        `${warm.newPresenter.firstFrameSec.toFixed(2)} s · ${warm.newPresenter.firstSegmentSec.toFixed(2)} s ` +
          `(a portrait it has not framed before)`,
      ],
      ['× real time, end to end', `${(60 / meta.timings.totalSec).toFixed(1)}×   (target ≥ 10×)`],
      ['process wall time incl. start-up, 60 s', `${engine.wallSec.toFixed(2)} s`],
      ['peak RSS, 1-minute lesson', `${engine.peakRssMb.toFixed(0)} MB   (target ≤ 400 MB)`],
      [
        `peak RSS, ${longMinutes}-minute lesson`,
        `${longRun.peakRssMb.toFixed(0)} MB · rendered in ${longRun.wallSec.toFixed(1)} s (target: same as 1 minute)`,
      ],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
    await recordFigures('preview-engine', [
      {
        name: 'end to end, 60 s lesson',
        figure: engineFps,
        unit: 'fps',
        floor: encoderFps,
        floorWhat: 'x264 alone on the same frames',
        ratio: engineFps / encoderFps,
        target: 0.8,
      },
      {
        name: 'end to end, 60 s lesson, warm render node',
        figure: warmFps,
        unit: 'fps',
        floor: warmEncoderFps,
        floorWhat: 'x264 alone on the same frames, run just before',
        ratio: warmFps / warmEncoderFps,
        target: 0.8,
      },
      {
        name: 'frame pipeline (draw + encode)',
        figure: pipelineFps,
        unit: 'fps',
        floor: encoderFps,
        floorWhat: 'x264 alone on the same frames',
        ratio: pipelineFps / encoderFps,
      },
      { name: `peak RSS, ${longMinutes}-minute lesson`, figure: longRun.peakRssMb, unit: 'MB' },
      {
        name: 'first HLS segment, 1-minute lesson (target ≤ 2 s)',
        figure: meta.timings.firstSegmentSec,
        unit: 's',
      },
      {
        name: `first HLS segment, ${longMinutes}-minute lesson (target ≤ 2 s)`,
        figure: longTimings.firstSegmentSec,
        unit: 's',
      },
      { name: `first frame, ${longMinutes}-minute lesson`, figure: longTimings.firstFrameSec, unit: 's' },
      {
        name: `first HLS segment, ${longMinutes}-minute lesson, warm node (target ≤ 2 s)`,
        figure: warm.samePresenter.firstSegmentSec,
        unit: 's',
      },
      {
        name: `first frame, ${longMinutes}-minute lesson, warm node, same presenter (target ≈ 0.2 s)`,
        figure: warm.samePresenter.firstFrameSec,
        unit: 's',
      },
      {
        name: `first frame, ${longMinutes}-minute lesson, warm node, new presenter`,
        figure: warm.newPresenter.firstFrameSec,
        unit: 's',
      },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
