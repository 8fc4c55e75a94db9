import type { Job } from 'bullmq';
import pino from 'pino';
import type { Registry } from 'prom-client';
import { Counter, Histogram } from 'prom-client';
import {
  CONTRACT_VERSION,
  type RenderJob,
  type RenderResult,
} from '../../render-node/src/contract/render-job.js';
import type { Asset } from '../../lti-tool/src/assets/asset-repository.js';
import type { RenderUpdate } from '../../lti-tool/src/renders/render-bus.js';
import type { NewRender } from '../../lti-tool/src/renders/render-repository.js';
import { RenderInputError, RenderService } from '../../lti-tool/src/renders/render-service.js';
import { MemoryRenders } from '../helpers/memory-renders.js';

/**
 * The render's life on the tool's side, in milliseconds, on in-memory tables: what each report from
 * the farm does to a render's state, and that a report arriving twice or late changes nothing. The
 * integration suite runs the same service on PostgreSQL, Redis and real render nodes.
 */
const sha = (c: string): string => c.repeat(64);
const PORTRAIT = sha('a');
const AUDIO = sha('b');
const MP4 = {
  name: 'lesson.mp4',
  role: 'mp4',
  bytes: 1000,
  sha256: sha('c'),
  contentType: 'video/mp4',
} as const;

const NEW_RENDER: NewRender = {
  tenantId: 't1',
  title: 'Fire safety',
  portraitSha256: PORTRAIT,
  audioSha256: AUDIO,
  engine: 'preview',
  settings: { prompt: '', size: '384*256', fps: 25, sampleSteps: 4, chunkSec: 60 },
};

/** `onAdd`: what happens while the job is being added (a node may take it before the add returns). */
function setup(onAdd?: (job: RenderJob) => Promise<void>) {
  const renders = new MemoryRenders();
  const stored = new Map<string, number>();
  const queued: RenderJob[] = [];
  const cancelled: string[] = [];
  const published: { id: string; update: RenderUpdate }[] = [];
  const registers: Registry[] = [];
  const metrics = {
    finished: new Counter({ name: 'f', help: 'f', labelNames: ['engine', 'outcome'], registers }),
    queueLatency: new Histogram({ name: 'q', help: 'q', labelNames: ['engine'], registers }),
    renderSeconds: new Histogram({ name: 'r', help: 'r', labelNames: ['engine'], registers }),
    realtimeFactor: new Histogram({ name: 'x', help: 'x', labelNames: ['engine'], registers }),
  };
  const assets = new Map<string, Asset>([
    [PORTRAIT, { sha256: PORTRAIT, kind: 'portrait', contentType: 'image/png', bytes: 10 } as Asset],
    [AUDIO, { sha256: AUDIO, kind: 'audio', contentType: 'audio/wav', bytes: 20 } as Asset],
  ]);
  const service = new RenderService({
    renders,
    assets: { get: async (tenantId, s) => (tenantId === 't1' ? assets.get(s) : undefined) },
    queue: {
      add: async (job) => {
        queued.push(job);
        await onAdd?.(job);
      },
      cancel: async (_engine, id) => void cancelled.push(id),
    },
    urls: {
      nodeAsset: (s) => `http://tool.test/media/node/assets/${s}`,
      nodeUploads: (id) => ({
        uploadUrl: `http://tool.test/up/${id}/{name}`,
        expiresAt: new Date().toISOString(),
      }),
    },
    store: { size: async (s) => stored.get(s) },
    bus: { publish: (id, update) => void published.push({ id, update }) },
    metrics,
    log: pino({ level: 'silent' }),
  });
  const submit = () => service.submit(NEW_RENDER);
  let clock = Date.parse('2026-12-02T10:00:00.000Z');
  const progress = (jobId: string, nodeId: string, percent: number, message?: string, at = (clock += 1000)) =>
    service.onProgress(jobId, {
      contract: CONTRACT_VERSION,
      jobId,
      nodeId,
      stage: 'render',
      percent,
      message,
      at: new Date(at).toISOString(),
    });
  const result = (jobId: string, files: RenderResult['files'] = [MP4]): RenderResult => ({
    contract: CONTRACT_VERSION,
    jobId,
    nodeId: 'n1',
    engine: 'preview',
    durationSec: 12,
    files,
    notes: [],
  });
  /** A BullMQ job as the farm's events hand it over: finished, one way or the other. */
  const job = (
    id: string,
    state: 'completed' | 'failed',
    o: { returnvalue?: unknown; failedReason?: string } = {},
  ) =>
    ({
      id,
      timestamp: 1000,
      processedOn: 2000,
      finishedOn: 8000,
      attemptsMade: 1,
      opts: { attempts: 3 },
      ...o,
      getState: async () => state,
    }) as unknown as Job;
  const states = (id: string) =>
    published
      .filter((p) => p.id === id && p.update.type === 'state')
      .map((p) => (p.update as { state: string }).state);
  const percents = (id: string) =>
    published
      .filter((p) => p.id === id && p.update.type === 'progress')
      .map((p) => (p.update as { progress: { percent: number } }).progress.percent);
  const finished = async () =>
    (await metrics.finished.get()).values.map((v) => `${v.labels.outcome}:${v.value}`);
  /** The node uploaded the MP4 and BullMQ reports the job completed with its manifest. */
  const completes = async (id: string) => {
    renders.uploaded(id, MP4);
    stored.set(MP4.sha256, MP4.bytes);
    await service.onFinishedJob(job(id, 'completed', { returnvalue: result(id) }));
  };
  return {
    renders,
    stored,
    queued,
    cancelled,
    service,
    submit,
    progress,
    result,
    job,
    states,
    percents,
    finished,
    completes,
  };
}

describe('a render’s life', () => {
  it('is acknowledged in the database, then queued with signed inputs', async () => {
    const s = setup();
    const r = await s.submit();
    expect(r.state).toBe('queued');
    expect(s.queued).toHaveLength(1);
    expect(s.queued[0]!.inputs.portrait).toEqual({
      url: `http://tool.test/media/node/assets/${PORTRAIT}`,
      sha256: PORTRAIT,
      bytes: 10,
    });
    expect(s.states(r.id)).toEqual(['queued']);
  });

  it('starts on a node’s report that came before the render was marked queued', async () => {
    // A node takes the job at once (Redis came back, the reconciler queued it) and reports before the
    // tool marked the render queued: the report counts, and the render is active, not queued again.
    const s: ReturnType<typeof setup> = setup(async (job) => void (await s.progress(job.jobId, 'n1', 5)));
    const r = await s.submit();
    const after = (await s.renders.get(r.id))!;
    expect(after.state).toBe('active');
    expect(s.renders.kinds(r.id)).toEqual(['started']);
  });

  it('refuses inputs never uploaded, or uploaded as the other kind', async () => {
    const s = setup();
    await expect(s.service.submit({ ...NEW_RENDER, portraitSha256: sha('d') })).rejects.toThrow(
      RenderInputError,
    );
    await expect(s.service.submit({ ...NEW_RENDER, portraitSha256: AUDIO })).rejects.toThrow(
      `Asset ${AUDIO} is a audio, not a portrait.`,
    );
    expect(s.renders.renders.size).toBe(0);
  });

  it('starts on a node’s first report, says so when another node takes over, and ignores malformed reports', async () => {
    const s = setup();
    const r = await s.submit();
    await s.progress(r.id, 'n1', 10);
    await s.progress(r.id, 'n1', 20, 'resumed after chunk 1 of 3');
    await s.service.onProgress(r.id, { percent: 'lots' });
    await s.progress(r.id, 'n2', 30);
    expect(s.renders.kinds(r.id)).toEqual(['queued', 'started', 'note', 'handed-over']);
    expect((await s.renders.get(r.id))!.progress!.percent).toBe(30);
  });

  it('streams reports in the order they came, though the first one (which records "started") takes longer', async () => {
    const s = setup();
    const r = await s.submit();
    await Promise.all([s.progress(r.id, 'n1', 5), s.progress(r.id, 'n1', 10), s.progress(r.id, 'n1', 15)]);
    expect(s.percents(r.id)).toEqual([5, 10, 15]);
  });

  it("keeps its progress when a node's earlier report arrives late (reports are handled concurrently)", async () => {
    const s = setup();
    const r = await s.submit();
    await s.progress(r.id, 'n1', 40);
    await s.progress(r.id, 'n1', 10, undefined, Date.parse('2026-12-02T09:00:00.000Z'));
    expect((await s.renders.get(r.id))!.progress!.percent).toBe(40);
    expect(s.renders.kinds(r.id)).toEqual(['queued', 'started']);
  });

  it('is done only when every file of the manifest arrived as announced', async () => {
    const s = setup();
    const r = await s.submit();
    await s.progress(r.id, 'n1', 90);
    await s.completes(r.id);
    const done = (await s.renders.get(r.id))!;
    expect(done.state).toBe('done');
    expect(done.result!.files).toEqual([MP4]);
    expect(s.states(r.id)).toEqual(['queued', 'active', 'done']);
  });

  it('fails when a file never arrived, differs from the manifest, or is missing from the store', async () => {
    const s = setup();
    for (const [setupFiles, why] of [
      [() => {}, 'lesson.mp4 never arrived'],
      [
        (id: string) => s.renders.uploaded(id, { ...MP4, bytes: 999 }),
        'lesson.mp4 differs from the manifest',
      ],
      [(id: string) => s.renders.uploaded(id, MP4), 'lesson.mp4 is missing from the media store'],
    ] as const) {
      const r = await s.submit();
      setupFiles(r.id);
      await s.service.onFinishedJob(s.job(r.id, 'completed', { returnvalue: s.result(r.id) }));
      const failed = (await s.renders.get(r.id))!;
      expect(failed.state).toBe('failed');
      expect(failed.error).toBe(`outputs did not verify: ${why}`);
    }
  });

  it('fails with a result that breaks the contract, and with the node’s reason', async () => {
    const s = setup();
    const a = await s.submit();
    await s.service.onFinishedJob(s.job(a.id, 'completed', { returnvalue: { nodeId: 'n1' } }));
    expect((await s.renders.get(a.id))!.error).toMatch(/^Invalid render result: .*files/);
    const b = await s.submit();
    await s.service.onFinishedJob(
      s.job(b.id, 'failed', { failedReason: 'UnrecoverableError: NO_FACE: no face' }),
    );
    expect((await s.renders.get(b.id))!.error).toBe('NO_FACE: no face');
  });

  it('is finished once however often the farm reports it (an event and the reconciler both)', async () => {
    const s = setup();
    const r = await s.submit();
    s.renders.uploaded(r.id, MP4);
    s.stored.set(MP4.sha256, MP4.bytes);
    const finishedJob = s.job(r.id, 'completed', { returnvalue: s.result(r.id) });
    await Promise.all([s.service.onFinishedJob(finishedJob), s.service.onFinishedJob(finishedJob)]);
    await s.service.onFinishedJob(s.job(r.id, 'failed', { failedReason: 'late failure' }));
    expect((await s.renders.get(r.id))!.state).toBe('done');
    expect(s.renders.kinds(r.id).filter((k) => k === 'done' || k === 'failed')).toEqual(['done']);
    expect(await s.finished()).toEqual(['done:1']);
  });

  it('cancelled, stays cancelled: the job is withdrawn, and late reports change nothing', async () => {
    const s = setup();
    const r = await s.submit();
    await s.progress(r.id, 'n1', 50);
    expect(await s.service.cancel((await s.renders.get(r.id))!)).toBe(true);
    expect(s.cancelled).toEqual([r.id]);
    await s.progress(r.id, 'n1', 60);
    await s.completes(r.id);
    const after = (await s.renders.get(r.id))!;
    expect(after.state).toBe('cancelled');
    expect(after.progress!.percent).toBe(50);
    expect(await s.service.cancel(after)).toBe(false);
    expect(await s.finished()).toEqual(['cancelled:1']);
  });

  it('tells a retry and a stall in its history, without leaving the open states', async () => {
    const s = setup();
    const r = await s.submit();
    await s.progress(r.id, 'n1', 5);
    await s.service.onRetry(s.job(r.id, 'failed', { failedReason: 'ECONNRESET' }));
    await s.service.onStalled(r.id);
    const events = s.renders.events.get(r.id)!.map((e) => e.message);
    expect(events).toContain('attempt 1 of 3 failed (ECONNRESET); retrying');
    expect(events).toContain('node n1 stopped answering; the job went back to the queue');
    expect((await s.renders.get(r.id))!.state).toBe('active');
  });
});
