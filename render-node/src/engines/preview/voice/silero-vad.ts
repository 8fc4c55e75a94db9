import { modelSession, ort } from '../../../models/onnx-session.js';

export const VAD_SAMPLE_RATE = 16000;
/** Silero v4 takes 30–32 ms frames at 16 kHz; 512 samples keeps windows aligned with powers of two. */
export const VAD_WINDOW = 512;

/** Silero VAD (v4, ONNX): speech probability for consecutive 32 ms windows, carrying its LSTM state. */
export class SileroVad {
  private h: Float32Array = new Float32Array(2 * 64);
  private c: Float32Array = new Float32Array(2 * 64);
  private readonly sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(VAD_SAMPLE_RATE)]), []);

  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(): Promise<SileroVad> {
    return new SileroVad(await modelSession('sileroVad'));
  }

  async probability(window: Float32Array): Promise<number> {
    const out = await this.session.run({
      input: new ort.Tensor('float32', window, [1, window.length]),
      sr: this.sr,
      h: new ort.Tensor('float32', this.h, [2, 1, 64]),
      c: new ort.Tensor('float32', this.c, [2, 1, 64]),
    });
    this.h = out.hn!.data as Float32Array;
    this.c = out.cn!.data as Float32Array;
    return (out.output!.data as Float32Array)[0]!;
  }
}
