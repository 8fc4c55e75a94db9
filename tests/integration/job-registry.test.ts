import { Redis } from 'ioredis';
import pino from 'pino';
import { randomBytes } from 'node:crypto';
import { JobRegistry } from '../../lti-tool/src/jobs/job-registry.js';
import type { GradeKey } from '../../lti-tool/src/grades/grade-key.js';
import { RecordingWorker as Recorder } from '../helpers/recording-worker.js';
import { REDIS_URL } from '../helpers/farm.js';

/**
 * The job registry on a real Redis: a queue the tool processes without a handler stops the start;
 * a job whose payload does not parse fails once, for good (not retried forever), and its worker
 * never sees it; a good one is worked with its parsed payload.
 */
let redis: Redis;
let registry: JobRegistry;
const log = pino({ level: 'silent' });

beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  registry = new JobRegistry(redis, `vt-test-${randomBytes(4).toString('hex')}`, log);
});

afterAll(async () => {
  await registry.close();
  redis.disconnect();
});

describe('the job registry', () => {
  let recorder: Recorder;

  it('refuses to start while a queue the tool processes has no handler', () => {
    expect(() => registry.assertComplete()).toThrow(
      /no handler for the queue\(s\) grades, dingtalk-notices, webhooks/,
    );
    recorder = new Recorder(registry);
    expect(() => registry.assertComplete()).toThrow(
      /no handler for the queue\(s\) dingtalk-notices, webhooks$/,
    );
    // The render queues are the render nodes' to process: never asked of the tool.
    expect(() => new Recorder(registry)).toThrow('queue grades has two handlers');
  });

  it('fails a job whose payload does not parse once and for good; works a good one with its payload', async () => {
    const queue = registry.queue('grades');
    const bad = await queue.add('score', { lessonId: 'l1' } as unknown as GradeKey, {
      attempts: 5,
      backoff: { type: 'fixed', delay: 10 },
    });
    const good = await queue.add('score', { lessonId: 'l1', userId: 'u1' }, { attempts: 5 });
    recorder.start();
    const deadline = Date.now() + 30_000;
    let state = '';
    while (Date.now() < deadline && (state = await (await queue.getJob(bad.id!))!.getState()) !== 'failed')
      await new Promise((r) => setTimeout(r, 50));
    const failed = (await queue.getJob(bad.id!))!;
    expect(state).toBe('failed');
    expect(failed.failedReason).toMatch(/^Invalid grades job: userId: /);
    expect(failed.attemptsMade).toBe(1);
    while (Date.now() < deadline && !(await (await queue.getJob(good.id!))?.isCompleted()))
      await new Promise((r) => setTimeout(r, 50));
    expect(recorder.worked).toEqual([{ lessonId: 'l1', userId: 'u1' }]);
    // Depths: every queue, with this worker's backlog.
    const depths = await registry.depths();
    expect(depths.map((d) => d.name)).toEqual([
      'render-preview',
      'render-liveavatar',
      'grades',
      'dingtalk-notices',
      'webhooks',
    ]);
    expect(depths.find((d) => d.name === 'grades')).toMatchObject({
      jobs: { failed: 1, completed: 1 },
      backlog: { pending: 1 },
    });
    await recorder.close();
  });
});
