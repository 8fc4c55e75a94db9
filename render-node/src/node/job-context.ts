import type { RenderNodeConfig } from '../config.js';
import type { RenderJob, RenderProgress } from '../contract/render-job.js';
import type { LiveAvatarRig } from '../engines/liveavatar/liveavatar-rig.js';

export type ProgressUpdate = Omit<RenderProgress, 'contract' | 'jobId' | 'nodeId' | 'at'>;

export interface RunContext {
  readonly config: RenderNodeConfig;
  readonly nodeId: string;
  readonly signal: AbortSignal;
  readonly report: (p: ProgressUpdate) => Promise<void>;
  /** How this node runs Live Avatar; absent on nodes that do not offer the engine. */
  readonly liveavatar?: LiveAvatarRig;
}

/** Share of a job's progress bar given to fetching and to uploading (the engine has the rest). */
export const FETCH_SHARE = 5;
export const UPLOAD_SHARE = 5;
export const enginePercent = (fraction: number): number =>
  FETCH_SHARE + Math.min(1, Math.max(0, fraction)) * (100 - FETCH_SHARE - UPLOAD_SHARE);

/** The job's inputs, downloaded and verified, and a scratch folder that lives as long as the job. */
export interface JobFiles {
  readonly spec: RenderJob;
  readonly dir: string;
  readonly portrait: string;
  readonly audio: string;
}

/** What an engine hands back to the node: a folder of outputs, ready for the manifest. */
export interface EngineOutcome {
  readonly outDir: string;
  /** Only these names (or folders) of outDir are outputs; everything else there is work. */
  readonly only?: ReadonlySet<string>;
  readonly durationSec: number;
  readonly notes: readonly string[];
}
