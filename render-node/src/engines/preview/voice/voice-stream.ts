import { RenderError } from '../../../contract/render-errors.js';
import { decodeAudio } from '../../../media/ffmpeg.js';
import { startVoiceActivity, VAD_SAMPLE_RATE, VAD_WINDOW } from './silero-vad.js';
import type { StreamWorker } from './stream-worker.js';
import { startVisemeClassifier, VISEME_SILENCE, type VisemeEvents } from './viseme-classifier.js';
import type { VoiceAnalysisOptions, VoiceFrames, VoiceTrack } from './voice-track.js';

/**
 * HeadAudio dates a viseme by the centre of a 512-sample vector, after filters of its own: once it has
 * taken this many samples past a frame's end, every viseme of that frame has been heard (with room).
 */
const VISEME_SETTLED_SAMPLES = VAD_SAMPLE_RATE / 4;

/**
 * The voice analysed as it streams in (ffmpeg → Silero VAD and HeadAudio on their threads), frame by
 * frame: a frame is final, and readable, once every sample and every model result it depends on has
 * come in, so a render can start on the first seconds while the rest is still being analysed. What a
 * frame holds does not depend on how the stream was cut into chunks: the whole track, read at the
 * end (analyse's result), is the same as the frames read along the way.
 * Memory grows with the number of frames (a few numbers each), not samples.
 */
export class VoiceStream implements VoiceFrames {
  readonly rmsDb: number[] = [];
  readonly speechProb: number[] = [];
  readonly viseme: number[] = [];
  /** Set once the whole voice was analysed. */
  frameCount: number | undefined;
  durationSec: number | undefined;
  /** Visemes that came in for a frame already final (there should be none; a test watches). */
  late = 0;

  private readonly vad: StreamWorker<Float32Array>;
  private readonly visemes: StreamWorker<VisemeEvents>;
  private readonly samplesPerFrame: number;
  private readonly sumSq: number[] = [];
  private readonly count: number[] = [];
  private decoded = 0;
  private readonly vadProbs: number[] = [];
  private visemesTaken = 0;
  private readonly visemeByFrame: number[] = [];
  private failure: Error | undefined;
  private waiters: Array<{ frame: number; resolve: () => void; reject: (e: Error) => void }> = [];
  private hold: { frame: number; samples: number; released: Promise<void>; release: () => void } | undefined;

  /** Starts both models loading on their threads at once: their start-up overlaps other work. */
  constructor(readonly fps: number) {
    this.samplesPerFrame = VAD_SAMPLE_RATE / fps;
    this.vad = startVoiceActivity((probabilities) => {
      for (const p of probabilities) this.vadProbs.push(p);
      this.settle();
    });
    this.visemes = startVisemeClassifier(VAD_SAMPLE_RATE, (heard, taken) => {
      heard.centreSec.forEach((t, i) => {
        const f = Math.floor(t * fps);
        if (f < this.known) this.late++;
        this.visemeByFrame[f] = heard.viseme[i]!;
      });
      this.visemesTaken = taken;
      this.settle();
    });
  }

  /** Frames final so far: 0 … known − 1. */
  get known(): number {
    return this.rmsDb.length;
  }

  /**
   * Streams the audio once through ffmpeg and both models; resolves with the whole track. Frames can
   * be read meanwhile (`ready`).
   */
  async analyse(audioPath: string, o: VoiceAnalysisOptions): Promise<VoiceTrack> {
    try {
      const maxSamples = o.maxSeconds * VAD_SAMPLE_RATE;
      let lastReport = 0;
      for await (const chunk of decodeAudio(audioPath, VAD_SAMPLE_RATE)) {
        if (this.decoded + chunk.length > maxSamples)
          throw new RenderError('AUDIO_TOO_LONG', `The audio is longer than the limit of ${o.maxSeconds} s.`);
        for (let i = 0, n = this.decoded; i < chunk.length; i++, n++) {
          const s = chunk[i]!;
          const f = Math.floor(n / this.samplesPerFrame);
          this.sumSq[f] = (this.sumSq[f] ?? 0) + s * s;
          this.count[f] = (this.count[f] ?? 0) + 1;
        }
        this.decoded += chunk.length;
        await Promise.all([this.vad.push(chunk), this.visemes.push(chunk)]);
        if (this.hold && this.decoded >= this.hold.samples) await this.hold.released;
        if (o.onProgress && this.decoded - lastReport > VAD_SAMPLE_RATE) {
          lastReport = this.decoded;
          o.onProgress(this.decoded / VAD_SAMPLE_RATE);
        }
      }
      await Promise.all([this.vad.finish(), this.visemes.finish()]);
      if (this.decoded === 0)
        throw new RenderError('AUDIO_EMPTY', 'The audio file holds no sound (zero length).');
    } catch (e) {
      await this.close();
      this.fail(e as Error);
      throw e;
    }
    this.durationSec = this.decoded / VAD_SAMPLE_RATE;
    this.frameCount = Math.max(1, Math.round(this.durationSec * this.fps));
    this.settle();
    return {
      fps: this.fps,
      frameCount: this.frameCount,
      durationSec: this.durationSec,
      rmsDb: Float32Array.from(this.rmsDb),
      speechProb: Float32Array.from(this.speechProb),
      viseme: Uint8Array.from(this.viseme),
    };
  }

  /**
   * Until `release`, analyses only as far as frame `frame` needs, with a second to spare: on a small
   * machine the models' threads would otherwise take the cores from whatever readies the first frame.
   * Asking for a later frame releases it.
   */
  analyseOnlyFor(frame: number): void {
    let release = (): void => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const samples = (frame + 1) * this.samplesPerFrame + VISEME_SETTLED_SAMPLES + VAD_SAMPLE_RATE;
    this.hold = { frame, samples, released, release };
  }

  /** Analyses the rest of the voice at full speed. */
  release(): void {
    this.hold?.release();
    this.hold = undefined;
  }

  /** Resolves once frame `frame` is final, or the voice ended before it; rejects if analysis failed. */
  ready(frame: number): Promise<void> {
    if (this.hold && frame > this.hold.frame) this.release();
    if (this.failure) return Promise.reject(this.failure);
    if (frame < this.known || this.frameCount !== undefined) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ frame, resolve, reject }));
  }

  /** Stops both workers, whatever they were doing; safe to call more than once. */
  async close(): Promise<void> {
    this.release();
    await Promise.all([this.vad.close(), this.visemes.close()]);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiters) w.reject(this.failure);
    this.waiters = [];
  }

  /** Makes every frame final that can be, then wakes whoever waits for one of them. */
  private settle(): void {
    for (let f = this.known; this.isFinal(f); f++) this.finalise(f);
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting)
      if (w.frame < this.known || this.frameCount !== undefined) w.resolve();
      else this.waiters.push(w);
  }

  private isFinal(f: number): boolean {
    if (this.frameCount !== undefined) return f < this.frameCount;
    const end = (f + 1) * this.samplesPerFrame;
    return (
      this.decoded >= end &&
      this.vadProbs.length >= this.vadWindowOf(f) + 2 &&
      this.visemesTaken >= end + VISEME_SETTLED_SAMPLES
    );
  }

  private vadWindowOf(f: number): number {
    return Math.floor(((f + 0.5) * this.samplesPerFrame) / VAD_WINDOW);
  }

  private finalise(f: number): void {
    const energy = (this.sumSq[f] ?? 0) / Math.max(1, this.count[f] ?? 0);
    this.rmsDb.push(Math.fround(10 * Math.log10(energy + 1e-10)));
    // The window holding the frame and its neighbours: a window is 2–3 frames long, and the mouth
    // must not open late at the start of a phrase nor close early at its end.
    const w = this.vadWindowOf(f);
    const p = this.vadProbs;
    const speech = Math.fround(Math.max(p[w - 1] ?? 0, p[w] ?? 0, p[w + 1] ?? 0));
    this.speechProb.push(speech);
    // Silero decides what is speech; HeadAudio only says which shape it is.
    const v = this.visemeByFrame[f];
    this.viseme.push(v !== undefined && speech >= 0.5 ? v : VISEME_SILENCE);
  }
}
