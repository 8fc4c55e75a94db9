import { analyseVoice } from '../../render-node/src/engines/preview/voice/voice-track.js';
import { VoiceStream } from '../../render-node/src/engines/preview/voice/voice-stream.js';
import {
  LessonAnimator,
  wholeTracks,
} from '../../render-node/src/engines/preview/animation/lesson-tracks.js';
import type { FramePose } from '../../render-node/src/engines/preview/render/frame-renderer.js';
import { startVoiceActivity } from '../../render-node/src/engines/preview/voice/silero-vad.js';
import {
  keepAnalysisThreadsLoaded,
  MAX_IN_FLIGHT,
  type StreamWorker,
} from '../../render-node/src/engines/preview/voice/stream-worker.js';
import {
  startVisemeClassifier,
  VISEME_SILENCE,
} from '../../render-node/src/engines/preview/voice/viseme-classifier.js';
import { makeSpeech, type Speech } from '../helpers/speech.js';

const FPS = 25;

function framesOf(speech: Speech, kind: 'say' | 'silence', margin = 0.25): number[] {
  const frames: number[] = [];
  for (const p of speech.parts) {
    if (!(kind in p)) continue;
    for (let f = Math.ceil((p.start + margin) * FPS); f < Math.floor((p.end - margin) * FPS); f++)
      frames.push(f);
  }
  return frames;
}

const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;

describe.each([
  ['English', 'en-us', 'Welcome to the safety training. Today we learn how to lift heavy boxes.'],
  ['Mandarin', 'cmn', '欢迎参加安全培训。今天我们学习如何搬运重物。'],
] as const)('voice analysis of %s speech (real Silero VAD and HeadAudio)', (_name, voice, text) => {
  let speech: Speech;
  beforeAll(async () => {
    speech = await makeSpeech([
      { silence: 1.5 },
      { say: text, voice },
      { silence: 2 },
      { say: text, voice },
      { silence: 1 },
    ]);
  });

  it('tells speech from silence', async () => {
    const track = await analyseVoice(speech.path, { fps: FPS, maxSeconds: 600 });
    expect(Math.abs(track.durationSec - speech.durationSec)).toBeLessThan(0.01);
    expect(track.frameCount).toBe(Math.round(speech.durationSec * FPS));
    const inSpeech = framesOf(speech, 'say').map((f) => track.speechProb[f]!);
    const inSilence = framesOf(speech, 'silence').map((f) => track.speechProb[f]!);
    expect(mean(inSpeech)).toBeGreaterThan(0.7);
    expect(Math.max(...inSilence)).toBeLessThan(0.3);
    expect(mean(framesOf(speech, 'say').map((f) => track.rmsDb[f]!))).toBeGreaterThan(
      mean(framesOf(speech, 'silence').map((f) => track.rmsDb[f]!)) + 30,
    );
  });

  it('hears several different visemes in speech and none in silence', async () => {
    const track = await analyseVoice(speech.path, { fps: FPS, maxSeconds: 600 });
    const spoken = new Set(framesOf(speech, 'say').map((f) => track.viseme[f]!));
    spoken.delete(VISEME_SILENCE);
    expect(spoken.size).toBeGreaterThanOrEqual(5);
    const silent = framesOf(speech, 'silence', 0.4).map((f) => track.viseme[f]!);
    expect(silent.filter((v) => v !== VISEME_SILENCE).length / silent.length).toBeLessThan(0.1);
  });

  it('streams: frames are final while the rest is analysed, and the lesson drawn meanwhile is the whole track’s', async () => {
    const stream = new VoiceStream(FPS);
    const whole = stream.analyse(speech.path, { fps: FPS, maxSeconds: 600 });
    await stream.ready(0);
    // The first frame is final long before the end (ffmpeg hands the audio over in ~1 s pieces).
    expect(stream.frameCount).toBeUndefined();
    // Pose each frame as soon as the voice it needs is final, as a one-pass render does.
    const animator = new LessonAnimator(stream);
    const pose: FramePose = { headX: 0, headY: 0, roll: 0, open: 0, spread: 0, round: 0, blink: 0 };
    const drawn: number[][] = [];
    let beforeTheEnd = 0;
    for (let f = 0; f < (stream.frameCount ?? Infinity); f++) {
      await stream.ready(animator.needs(f));
      if (f >= (stream.frameCount ?? Infinity)) break;
      if (stream.frameCount === undefined) beforeTheEnd++;
      animator.pose(f, pose);
      drawn.push([pose.open, pose.spread, pose.round, pose.headX, pose.headY, pose.roll, pose.blink]);
    }
    const track = await whole;
    expect(beforeTheEnd).toBeGreaterThan(0);
    expect(stream.late).toBe(0);
    expect(drawn).toHaveLength(track.frameCount);
    const tracks = wholeTracks(track);
    const f32 = Math.fround;
    drawn.forEach((d, f) =>
      expect(d.map(f32)).toEqual([
        tracks.mouth.open[f],
        tracks.mouth.spread[f],
        tracks.mouth.round[f],
        tracks.head.x[f],
        tracks.head.y[f],
        tracks.head.roll[f],
        tracks.blink[f],
      ]),
    );
    // And the track read at the end is the one a plain analysis gives.
    expect(await analyseVoice(speech.path, { fps: FPS, maxSeconds: 600 })).toEqual(track);
  });

  it('held for its first frame, analyses no further than that frame needs until released, then the same track', async () => {
    const stream = new VoiceStream(FPS);
    const first = new LessonAnimator(stream).needs(0);
    stream.analyseOnlyFor(first);
    let settled = false;
    const whole = stream.analyse(speech.path, { fps: FPS, maxSeconds: 600 }).finally(() => (settled = true));
    await stream.ready(first);
    // An analysis of the same voice, not held, runs to its end meanwhile.
    const free = await analyseVoice(speech.path, { fps: FPS, maxSeconds: 600 });
    // The hold: that frame, HeadAudio's quarter second, a second to spare, and the decoder's last piece (≤ 1.1 s).
    expect(stream.known).toBeLessThanOrEqual(first + 1 + Math.ceil(FPS * (0.25 + 1 + 1.1)));
    expect(stream.frameCount).toBeUndefined();
    expect(settled).toBe(false);
    stream.release();
    expect(await whole).toEqual(free);
  });

  it('held, lets itself go when a later frame is asked for, or when it is closed', async () => {
    const asked = new VoiceStream(FPS);
    asked.analyseOnlyFor(0);
    const whole = asked.analyse(speech.path, { fps: FPS, maxSeconds: 600 });
    await asked.ready(Math.round(speech.durationSec * FPS) - 1); // would wait for ever if still held
    expect((await whole).frameCount).toBe(Math.round(speech.durationSec * FPS));

    const closed = new VoiceStream(FPS);
    closed.analyseOnlyFor(0);
    const cut = closed.analyse(speech.path, { fps: FPS, maxSeconds: 600 });
    await closed.ready(0);
    await closed.close();
    await cut.catch(() => {}); // ends, one way or the other, and its decoder with it
    expect(closed.frameCount ?? 0).toBeLessThan(Math.round(speech.durationSec * FPS));
  });

  it('stops at the length limit', async () => {
    await expect(analyseVoice(speech.path, { fps: FPS, maxSeconds: 3 })).rejects.toMatchObject({
      code: 'AUDIO_TOO_LONG',
    });
  });
});

describe('an analysis thread fed a long stream', () => {
  type Stream = Pick<StreamWorker<unknown>, 'push' | 'finish' | 'reused'>;
  /** Pushes the same pseudo-random noise, in pipe-read sized chunks, through a stream to its end. */
  const noiseThrough = async (worker: Stream, chunks: number): Promise<void> => {
    let seed = 11;
    const noise = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.4;
    for (let i = 0; i < chunks; i++) await worker.push(Float32Array.from({ length: 16_384 }, noise));
    await worker.finish();
  };

  it('hands its loaded thread to the next stream, which starts from a fresh state', async () => {
    keepAnalysisThreadsLoaded(); // as a render node does
    const starts: Array<(heard: unknown[]) => Stream> = [
      (heard) => startVoiceActivity((p) => heard.push(...p)),
      (heard) => startVisemeClassifier(16_000, (p) => heard.push(...p.viseme)),
    ];
    for (const start of starts) {
      // The first stream may get a thread an earlier test's speech went through.
      const first: unknown[] = [];
      await noiseThrough(start(first), 12);
      const second: unknown[] = [];
      const worker = start(second);
      expect(worker.reused).toBe(true);
      await noiseThrough(worker, 12);
      expect(second.length).toBeGreaterThan(20);
      expect(second).toEqual(first);
    }
  });

  it('reuses the buffers it hands back, and leaves the caller its chunks', async () => {
    const heard: number[] = [];
    const worker = startVisemeClassifier(16_000, (part) => heard.push(...part.viseme));
    let seed = 7;
    const noise = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.4;
    const chunks = 400;
    for (let i = 0; i < chunks; i++) {
      // Pipe reads come in all sizes up to 64 KiB.
      const chunk = Float32Array.from({ length: 1 + ((i * 7919) % 16_384) }, noise);
      const first = chunk[0];
      await worker.push(chunk);
      expect([chunk.length, chunk[0]]).toEqual([1 + ((i * 7919) % 16_384), first]);
    }
    await worker.finish();
    expect(heard.length).toBeGreaterThan(100);
    expect(worker.buffersMade).toBeLessThanOrEqual(MAX_IN_FLIGHT);
  });
});
