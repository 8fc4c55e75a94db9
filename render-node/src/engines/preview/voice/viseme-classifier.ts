import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Processor, type HeadAudioMessage } from '@met4citizen/headaudio/modules/processor.mjs';
import { Training } from '@met4citizen/headaudio/modules/training.mjs';
import { MODEL_VISEME_SIL, RECORD_LEN, RECORD_OFFSET } from '@met4citizen/headaudio/modules/parameters.mjs';

/** Oculus viseme ids as HeadAudio numbers them. */
export const VISEMES = [
  'aa',
  'E',
  'I',
  'O',
  'U',
  'PP',
  'SS',
  'TH',
  'DD',
  'FF',
  'kk',
  'nn',
  'RR',
  'CH',
  'sil',
] as const;
export const VISEME_SILENCE = MODEL_VISEME_SIL;

const MODEL_PATH = createRequire(import.meta.url).resolve('@met4citizen/headaudio/dist/model-en-mixed.bin');

function loadModel(): object[] {
  const bytes = readFileSync(MODEL_PATH);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const training = new Training();
  const model: object[] = [];
  for (let pos = 0; pos + RECORD_OFFSET <= buffer.byteLength; pos += RECORD_OFFSET) {
    model.push(training.decodeBinaryRecord(new Float32Array(buffer, pos, RECORD_LEN)));
  }
  return model;
}
let model: object[] | undefined;

/**
 * HeadAudio's viseme model (MFCC features, Gaussian prototypes, Mahalanobis distance; MIT), run
 * offline: samples in, one viseme a 16 ms hop out. Its own energy gate is off: Silero decides what is
 * speech.
 */
export class VisemeClassifier {
  private readonly processor: Processor;

  constructor(sampleRate: number, onViseme: (viseme: number, centreSec: number) => void) {
    const port = {
      onmessage: null,
      postMessage(m: HeadAudioMessage) {
        if (m.event === 'viseme' && m.viseme != null && m.t != null) onViseme(m.viseme, m.t);
      },
    };
    this.processor = new Processor({ sampleRate, parameterData: { vadMode: 0, silMode: 0 } }, { port });
    this.processor._onmessage({ data: { event: 'model', model: (model ??= loadModel()) } });
  }

  push(samples: Float32Array): void {
    this.processor.process(samples);
  }
}
