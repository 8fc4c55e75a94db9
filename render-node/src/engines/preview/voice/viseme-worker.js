// @ts-check
// Worker thread running HeadAudio's viseme classifier (MIT) offline. Its audio-worklet processor is a
// plain class when given a stand-in for the worklet port; its own energy gate is off because Silero
// decides what is speech. Plain JavaScript so the same file runs from the sources and from dist/.
//   in:  { samples: Float32Array }, then { end: true }, after which another stream may follow from a
//        fresh state; { stop: true } ends the thread
//   out: { ready: true } once loaded, { ack: true, part, buffer } after each chunk (buffer: the chunk's own,
//        handed back for reuse), then { result } at the end; each part the visemes heard since the last message: { viseme: Uint8Array, centreSec: Float32Array }
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { RECORD_LEN, RECORD_OFFSET } from '@met4citizen/headaudio/modules/parameters.mjs';
import { Processor } from '@met4citizen/headaudio/modules/processor.mjs';
import { Training } from '@met4citizen/headaudio/modules/training.mjs';

const modelFile = createRequire(import.meta.url).resolve('@met4citizen/headaudio/dist/model-en-mixed.bin');
const bytes = readFileSync(modelFile);
const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
const training = new Training();
/** @type {ReturnType<Training["decodeBinaryRecord"]>[]} */
const model = [];
for (let pos = 0; pos + RECORD_OFFSET <= buffer.byteLength; pos += RECORD_OFFSET) {
  model.push(training.decodeBinaryRecord(new Float32Array(buffer, pos, RECORD_LEN)));
}

/** @type {number[]} visemes heard and not yet sent */
let visemes = [];
/** @type {number[]} */
let centres = [];
/** Sends what was heard since the last message. */
const take = () => {
  const part = { viseme: Uint8Array.from(visemes), centreSec: Float32Array.from(centres) };
  visemes = [];
  centres = [];
  return part;
};
const port = {
  onmessage: null,
  /** @param {{ event: string, viseme?: number, t?: number }} m */
  postMessage(m) {
    if (m.event === 'viseme' && m.viseme != null && m.t != null) {
      visemes.push(m.viseme);
      centres.push(m.t);
    }
  },
};
/** A processor with the model loaded and no stream heard yet. */
const fresh = () => {
  const p = new Processor(
    { sampleRate: workerData.sampleRate, parameterData: { vadMode: 0, silMode: 0 } },
    { port },
  );
  p._onmessage({ data: { event: 'model', model } });
  return p;
};
let processor = fresh();

parentPort?.postMessage({ ready: true });
parentPort?.on(
  'message',
  (/** @type {{ samples?: Float32Array<ArrayBuffer>, end?: boolean, stop?: boolean }} */ message) => {
    if (message.stop) {
      process.exit(0);
    } else if (message.samples) {
      processor.process(message.samples);
      const part = take();
      // The chunk's buffer goes back to be filled again (the processor keeps no reference to it).
      const buffer = message.samples.buffer;
      parentPort?.postMessage({ ack: true, part, buffer }, [
        part.viseme.buffer,
        part.centreSec.buffer,
        buffer,
      ]);
    } else if (message.end) {
      parentPort?.postMessage({ result: take() });
      processor = fresh(); // ready for the next stream
    }
  },
);
