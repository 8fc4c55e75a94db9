import { TestEnvironment } from 'jest-environment-node';

const SHARED = [
  'ArrayBuffer',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int8Array',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

/**
 * Jest's node environment, with the host's typed-array constructors. onnxruntime-node builds its
 * output tensors from arrays made outside the test sandbox; with the sandbox's own constructors its
 * `instanceof Float32Array` checks fail ("A float32 tensor's data must be type of Float32Array").
 */
export default class SharedTypedArrayEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}
