/**
 * The render farm's contract, defined once and validated at both ends: what the LTI tool puts on a
 * queue (RenderJob), what a render node reports while working (RenderProgress) and what it hands back
 * (RenderResult). Render nodes never see the database; everything they need is in the job, and inputs
 * and outputs move over signed URLs. Bump CONTRACT_VERSION on any change a peer could misread.
 */
import { z } from 'zod';
import { problemsOf } from '../../../common/zod-problems.js';

export const CONTRACT_VERSION = 1;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256');
const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'an http(s) URL');
const id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\w.:-]+$/, 'letters, digits and . _ : - only');

/** An input the node downloads: verified by size and sha256 before use. */
export const InputRefSchema = z.object({
  url: httpUrl,
  sha256,
  bytes: z.number().int().positive(),
});

export const RenderJobSchema = z
  .object({
    contract: z.literal(CONTRACT_VERSION),
    jobId: id,
    tenantId: id,
    lessonId: id,
    versionId: id,
    engine: z.enum(['preview', 'liveavatar']),
    settings: z.object({
      prompt: z.string().max(4000).default(''),
      /** "width*height" */
      size: z.string().regex(/^\d{2,4}\*\d{2,4}$/),
      fps: z.number().int().min(10).max(60).default(25),
      /** liveavatar: denoising steps; its LoRA is distilled for exactly 4 (fewer only soften the picture). */
      sampleSteps: z.literal(4).default(4),
      /**
       * Long lessons render in chunks of this many seconds (a multiple of the 2 s keyframe interval),
       * each uploaded as it finishes; a restarted job resumes after the last uploaded chunk.
       */
      chunkSec: z.number().int().min(2).max(600).multipleOf(2).default(60),
      /**
       * preview only: where the voice's independent parts start, seconds (pauses between a script's
       * paragraphs). Each is rendered as a chunk keyed by its audio, so an unchanged paragraph of an
       * edited script is not rendered again. Older nodes ignore it and render in fixed chunks.
       */
      parts: z
        .array(
          z
            .number()
            .min(0)
            .max(24 * 3600),
        )
        .max(10_000)
        .optional(),
    }),
    inputs: z.object({ portrait: InputRefSchema, audio: InputRefSchema }),
    outputs: z.object({
      /**
       * Signed, expiring URL to PUT each output file to, and to GET back chunks an earlier attempt
       * uploaded; `{name}` stands for its path, e.g. hls/segment_00001.ts or chunks/…/chunk_00003.mp4.
       */
      uploadUrl: httpUrl.refine((u) => u.includes('{name}'), 'must contain {name}'),
      expiresAt: z.iso.datetime(),
    }),
  })
  .strict();

export const RENDER_STAGES = ['fetch', 'analyse', 'render', 'encode', 'upload'] as const;

export const RenderProgressSchema = z
  .object({
    contract: z.literal(CONTRACT_VERSION),
    jobId: id,
    nodeId: id,
    stage: z.enum(RENDER_STAGES),
    /** Of the whole job, 0–100. */
    percent: z.number().min(0).max(100),
    framesDone: z.number().int().nonnegative().optional(),
    framesTotal: z.number().int().nonnegative().optional(),
    etaSec: z.number().nonnegative().optional(),
    /** Something worth keeping in the render's history, e.g. "resumed after chunk 3 of 10". */
    message: z.string().max(500).optional(),
    at: z.iso.datetime(),
  })
  .strict();

export const OUTPUT_ROLES = [
  'mp4',
  'hls-playlist',
  'hls-segment',
  'poster',
  'captions',
  'metadata',
  /** A finished part of a long render, kept by the tool so a restarted job can resume after it. */
  'chunk',
] as const;

export const OutputFileSchema = z
  .object({
    /** Path relative to the job's output folder: "lesson.mp4", "hls/segment_00000.ts". */
    name: z
      .string()
      .min(1)
      .max(200)
      .regex(/^(?!\/)(?!.*\.\.)[\w./-]+$/, 'a relative path without ".."'),
    role: z.enum(OUTPUT_ROLES),
    bytes: z.number().int().nonnegative(),
    sha256,
    contentType: z.string().min(3),
  })
  .strict();

export const RenderResultSchema = z
  .object({
    contract: z.literal(CONTRACT_VERSION),
    jobId: id,
    nodeId: id,
    engine: z.enum(['preview', 'liveavatar']),
    durationSec: z.number().positive(),
    files: z.array(OutputFileSchema).min(1),
    /** What the engine chose or fell back to, in words, for the render history. */
    notes: z.array(z.string()).default([]),
  })
  .strict()
  .refine((r) => r.files.some((f) => f.role === 'mp4'), 'a result needs its MP4');

/** One BullMQ queue per engine: a node takes jobs only from the queues of the engines it has. */
export const ENGINES = ['preview', 'liveavatar'] as const;
export type EngineName = (typeof ENGINES)[number];
export const renderQueueName = (engine: EngineName): string => `render-${engine}`;

export type RenderJob = z.infer<typeof RenderJobSchema>;
export type RenderProgress = z.infer<typeof RenderProgressSchema>;
export type RenderResult = z.infer<typeof RenderResultSchema>;
export type OutputFile = z.infer<typeof OutputFileSchema>;

/** A resumable part's file name: chunk_00000.mp4, chunk_00001.mp4, … (under chunks/<key>/). */
export const chunkFileName = (index: number): string => `chunk_${String(index).padStart(5, '0')}.mp4`;

/** Redis pub/sub channel (under the farm's prefix) on which the tool asks nodes to cancel a job. */
export const cancelChannel = (prefix: string): string => `${prefix}:vt:cancel`;

/** Parses what came off the wire; throws a ContractError that lists every problem. */
export function parseContract<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const problems = problemsOf(r.error).join('; ');
  throw new ContractError(`Invalid ${what}: ${problems}`);
}

export class ContractError extends Error {
  override readonly name = 'ContractError';
}
