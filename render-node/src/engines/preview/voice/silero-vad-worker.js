// @ts-check
// Worker thread running Silero VAD (v4, ONNX) beside the main thread's decoding and viseme analysis.
// Plain JavaScript so the same file runs from the sources and from dist/. Protocol:
//   in:  { samples: Float32Array } (any length), then { end: true }, after which another stream may
//        follow from a fresh state; { stop: true } ends the thread
//   out: { ready: true } once loaded, { ack: true, part: Float32Array, buffer } after each chunk (the
//        probabilities of the windows it completed, one a window of workerData.window samples, and the
//        chunk's own buffer, handed back for reuse), then { result: Float32Array }
//        at the end (the last, zero-padded window's, if any)
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const WINDOW = workerData.window;
const session = await ort.InferenceSession.create(workerData.modelPath, {
  logSeverityLevel: 3,
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
});
const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
/** @type {Float32Array} LSTM state, carried from window to window */
let h = new Float32Array(128);
/** @type {Float32Array} */
let c = new Float32Array(128);
const window = new Float32Array(WINDOW);
let fill = 0;
/** @type {number[]} probabilities not yet sent */
let probabilities = [];
/** Sends what was computed since the last message. */
const take = () => {
  const part = Float32Array.from(probabilities);
  probabilities = [];
  return part;
};

async function step() {
  const out = await session.run({
    input: new ort.Tensor('float32', window.slice(), [1, WINDOW]),
    sr,
    h: new ort.Tensor('float32', h, [2, 1, 64]),
    c: new ort.Tensor('float32', c, [2, 1, 64]),
  });
  h = tensorData(out, 'hn');
  c = tensorData(out, 'cn');
  probabilities.push(tensorData(out, 'output')[0] ?? 0);
}

/**
 * @param {Record<string, ort.Tensor>} out
 * @param {string} name
 * @returns {Float32Array}
 */
function tensorData(out, name) {
  const t = out[name];
  if (!t) throw new Error(`Silero VAD gave no "${name}" output`);
  return /** @type {Float32Array} */ (t.data);
}

// Messages are handled strictly in order: each waits for the one before. On stop, queued chunks are
// dropped, a run in flight finishes, and the thread ends (never killed inside onnxruntime).
let queue = Promise.resolve();
let stopping = false;
parentPort?.postMessage({ ready: true });
parentPort?.on(
  'message',
  (/** @type {{ samples?: Float32Array<ArrayBuffer>, end?: boolean, stop?: boolean }} */ message) => {
    if (message.stop) {
      stopping = true;
      queue = queue.then(() => process.exit(0));
      return;
    }
    queue = queue.then(async () => {
      if (stopping) return;
      if (message.samples) {
        for (const s of message.samples) {
          if (stopping) return;
          window[fill++] = s;
          if (fill === WINDOW) {
            await step();
            fill = 0;
          }
        }
        const part = take();
        // The chunk's buffer goes back to be filled again.
        const buffer = message.samples.buffer;
        parentPort?.postMessage({ ack: true, part, buffer }, [part.buffer, buffer]);
      } else if (message.end) {
        if (fill > 0) {
          window.fill(0, fill);
          await step();
        }
        const result = take();
        parentPort?.postMessage({ result }, [result.buffer]);
        // Ready for the next stream, from a fresh state.
        h = new Float32Array(128);
        c = new Float32Array(128);
        fill = 0;
      }
    });
  },
);
