import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import {
  CONTRACT_VERSION,
  parseContract,
  RenderResultSchema,
  renderQueueName,
  type RenderJob,
} from '../../render-node/src/contract/render-job.js';
import { MediaEndpointsStandIn } from '../helpers/media-endpoints-standin.js';
import { PORTRAIT, REPO } from '../helpers/paths.js';
import { makeSpeech, scratchDir, type Speech } from '../helpers/speech.js';
import { ffprobe } from '../helpers/video.js';

const REDIS_URL = process.env.VT_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `vt-test-${randomBytes(4).toString('hex')}`;
const nodeId = `test-node-${randomBytes(2).toString('hex')}`;

let redis: Redis;
let media: MediaEndpointsStandIn;
let node: ChildProcess;
let nodeOutput = '';
let queue: Queue;
let events: QueueEvents;
let speech: Speech;

function startNode(): Promise<void> {
  node = spawn(
    process.execPath,
    [join(REPO, 'dist/render-node/src/cli/render-node.js'), 'start', '--node-id', nodeId],
    {
      env: { ...process.env, VT_REDIS_URL: REDIS_URL, VT_QUEUE_PREFIX: prefix, VT_X264_PRESET: 'ultrafast' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer): void => {
      nodeOutput += d;
      if (nodeOutput.includes(' ready: ')) resolve();
    };
    node.stdout!.on('data', onData);
    node.stderr!.on('data', onData);
    node.on('exit', (code) => reject(new Error(`render-node exited ${code}: ${nodeOutput}`)));
  });
}

const spec = (jobId: string, over: Partial<RenderJob> = {}): RenderJob => ({
  contract: CONTRACT_VERSION,
  jobId,
  tenantId: 'moodle-test:1',
  lessonId: 'lesson-1',
  versionId: 'v1',
  engine: 'preview',
  settings: { prompt: 'A trainer', size: '384*256', fps: 25, sampleSteps: 4 },
  inputs: { portrait: media.input(`${jobId}-p`, PORTRAIT), audio: media.input(`${jobId}-a`, speech.path) },
  outputs: media.uploadUrl(jobId),
  ...over,
});
const add = (s: unknown, engine = 'preview'): Promise<Job> =>
  new Queue(renderQueueName(engine as 'preview'), { connection: redis, prefix }).add('render', s, {
    attempts: 3,
    backoff: { type: 'exponential', delay: 200 },
  });

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  media = await new MediaEndpointsStandIn().start();
  speech = await makeSpeech([{ say: 'A lesson rendered by a render node that took it from the queue.' }]);
  queue = new Queue(renderQueueName('preview'), { connection: redis, prefix });
  events = new QueueEvents(renderQueueName('preview'), { connection: redis, prefix });
  await events.waitUntilReady();
  await startNode();
});

afterAll(async () => {
  if (node.exitCode === null) node.kill('SIGKILL');
  await events.close();
  await queue.close();
  await media.stop();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('render-node start (real Redis, BullMQ)', () => {
  it('announces itself with a heartbeat: id, host, engines, GPUs, version', async () => {
    const raw = await redis.get(`${prefix}:vt:render-nodes:${nodeId}`);
    const state = JSON.parse(raw!);
    expect(state).toMatchObject({
      nodeId,
      engines: ['preview'],
      gpus: [],
      concurrency: 1,
      version: expect.any(String),
    });
    expect(await redis.ttl(`${prefix}:vt:render-nodes:${nodeId}`)).toBeGreaterThan(0);
  });

  it('takes a job, fetches and checks its inputs, renders, uploads every output and returns the manifest', async () => {
    const progress: Array<{ stage: string; percent: number }> = [];
    events.on('progress', ({ data }) => progress.push(data as { stage: string; percent: number }));
    const job = await add(spec('job-ok'));
    const result = parseContract(RenderResultSchema, await job.waitUntilFinished(events, 60_000), 'result');
    expect(result).toMatchObject({ jobId: 'job-ok', nodeId, engine: 'preview' });
    for (const f of result.files) expect(media.uploads.get(`job-ok/${f.name}`)?.length).toBe(f.bytes);
    const mp4 = join(scratchDir(), 'uploaded.mp4');
    writeFileSync(mp4, media.uploads.get('job-ok/lesson.mp4')!);
    expect(Math.abs(Number((await ffprobe(mp4)).format.duration) - speech.durationSec)).toBeLessThanOrEqual(
      0.04,
    );
    expect(new Set(progress.map((p) => p.stage))).toEqual(new Set(['fetch', 'analyse', 'render', 'upload']));
    expect(progress.at(-1)).toMatchObject({ stage: 'upload', percent: 100 });
  });

  it('retries uploads while the tool answers 500, and delivers each file once', async () => {
    media.failNextUploads = 3;
    const job = await add(spec('job-retry'));
    const result = parseContract(RenderResultSchema, await job.waitUntilFinished(events, 60_000), 'result');
    expect(media.refusedUploads).toBeGreaterThanOrEqual(3);
    expect(result.files.every((f) => media.uploads.has(`job-retry/${f.name}`))).toBe(true);
    expect((await queue.getJob(job.id!))!.attemptsMade).toBe(1); // retried inside the job, not re-rendered
  });

  it.each([
    [
      'a job that breaks the contract',
      () => ({ ...spec('job-bad'), engine: 'sora' }),
      /Invalid render job: engine/,
    ],
    [
      'inputs whose sha256 does not match',
      () => ({
        ...spec('job-sha'),
        inputs: {
          ...spec('job-sha').inputs,
          audio: { ...spec('job-sha').inputs.audio, sha256: 'f'.repeat(64) },
        },
      }),
      /does not match the job.*\[INPUT_MISMATCH\]/,
    ],
    [
      'an expired upload URL',
      () => ({ ...spec('job-exp'), outputs: media.uploadUrl('job-exp', -1000) }),
      /was refused: 403 forged or expired \[UPLOAD_REFUSED\]/,
    ],
  ])('fails %s at once, without retries', async (_what, make, reason) => {
    const job = await add(make());
    await expect(job.waitUntilFinished(events, 60_000)).rejects.toThrow(reason);
    expect((await queue.getJob(job.id!))!.attemptsMade).toBe(1);
  });

  it('takes jobs only from the queues of its engines', async () => {
    const other = await add(spec('job-la', { engine: 'liveavatar' }), 'liveavatar');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await other.getState()).toBe('waiting');
  });

  it('on SIGTERM finishes the job in hand, then leaves', async () => {
    const long = await makeSpeech([
      { say: 'A longer lesson, still being rendered when the node is told to stop. '.repeat(3) },
    ]);
    const job = await add({
      ...spec('job-last'),
      inputs: { portrait: media.input('last-p', PORTRAIT), audio: media.input('last-a', long.path) },
    });
    await new Promise<void>((resolve) => {
      const check = setInterval(async () => {
        if ((await job.getState()) === 'active') {
          clearInterval(check);
          resolve();
        }
      }, 50);
    });
    const exited = new Promise<number | null>((r) => node.on('exit', r));
    node.kill('SIGTERM');
    await expect(job.waitUntilFinished(events, 60_000)).resolves.toMatchObject({ jobId: 'job-last' });
    expect(await exited).toBe(0);
    expect(nodeOutput).toContain('finishing the current jobs');
    expect(await redis.exists(`${prefix}:vt:render-nodes:${nodeId}`)).toBe(0);
  });
});
