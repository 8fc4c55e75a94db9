import type { Gpu } from '../engines/liveavatar/gpu-detect.js';
import type { EngineName } from './render-job.js';

/** Where a render node announces itself in Redis (under the farm's prefix), for the tool to read. */
export const NODE_KEY_PREFIX = 'vt:render-nodes:';

/** What a node says of itself: what it can render and on what. */
export interface NodeIdentity {
  readonly nodeId: string;
  readonly hostname: string;
  readonly version: string;
  readonly engines: readonly EngineName[];
  readonly gpus: readonly Gpu[];
  readonly concurrency: number;
  readonly startedAt: string;
}
