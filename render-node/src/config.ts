import { join } from 'node:path';
import { z } from 'zod';
import { parseEnv, REPO_ROOT } from '../../common/env.js';

export { parseEnv, REPO_ROOT };

const schema = z.object({
  VT_REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** BullMQ and presence key prefix: one Redis can serve several farms (or test runs). */
  VT_QUEUE_PREFIX: z
    .string()
    .regex(/^[\w-]+$/)
    .default('vt'),
  VT_MODEL_DIR: z.string().default(join(REPO_ROOT, 'models')),
  VT_MAX_AUDIO_SECONDS: z.coerce.number().positive().default(3600),
  VT_X264_PRESET: z
    .enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow'])
    .default('superfast'),
  VT_X264_CRF: z.coerce.number().int().min(0).max(51).default(22),
  // The liveavatar engine (render nodes with big GPUs).
  VT_LIVEAVATAR_REPO: z.string().default('/opt/LiveAvatar'),
  VT_LIVEAVATAR_CKPT: z.string().default('/opt/LiveAvatar/ckpt/Wan2.2-S2V-14B'),
  VT_LIVEAVATAR_LORA: z.string().default('/opt/LiveAvatar/ckpt/LiveAvatar/liveavatar.safetensors'),
  VT_LIVEAVATAR_TORCHRUN: z.string().default('torchrun'),
  /** The Python that runs Live Avatar (vt doctor and the FP8 check ask it what it has). */
  VT_LIVEAVATAR_PYTHON: z.string().default('python3'),
  /** Longest silence between two progress bars; silent stages get budgets from the timings below. */
  VT_LIVEAVATAR_HANG_SECONDS: z.coerce.number().positive().default(900),
  /** Where `vt smoke` writes this node's measured stage timings, which the hang timer reads. */
  VT_LIVEAVATAR_TIMINGS: z.string().default('/var/lib/virtual-tutor/liveavatar-timings.json'),
  /**
   * Clips a run renders at most. Unset: as many as host memory and the silent final decode allow
   * (every join shows a pose reset, so batches are kept long).
   */
  VT_LIVEAVATAR_MAX_CLIPS: z.coerce.number().int().min(1).max(1000).optional(),
  VT_NVIDIA_SMI: z.string().default('nvidia-smi'),
  // The render node service.
  /**
   * How long a job's lock lasts without renewal: a node that dies loses its job to another node after
   * about this long (the lock is renewed every half of it while the node lives).
   */
  VT_JOB_LOCK_SEC: z.coerce.number().positive().default(60),
  /** How long a node keeps retrying an upload while the tool is unreachable. */
  VT_UPLOAD_RETRY_SEC: z.coerce.number().positive().default(900),
  /** On SIGTERM, how long running jobs may take to finish before they are handed back to the queue. */
  VT_SHUTDOWN_GRACE_SEC: z.coerce.number().nonnegative().default(120),
  /** Port of the node's /healthz endpoint (0: none). */
  VT_NODE_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  VT_NODE_HEALTH_HOST: z.string().default('127.0.0.1'),
});

export type RenderNodeConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): RenderNodeConfig {
  return parseEnv(schema, env, 'render-node');
}
