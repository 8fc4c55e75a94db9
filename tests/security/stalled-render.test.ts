import type { ToolConfig } from '../../lti-tool/src/config.js';
import type { RunningTool } from '../../lti-tool/src/server.js';
import {
  createTestDatabase,
  startNode,
  startTestTool,
  stopNode,
  tenantClient,
  toolConfig,
  type ApiClient,
  type RenderView,
  type TestNode,
} from '../helpers/farm.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech } from '../helpers/speech.js';

/**
 * A render node killed mid-render: before, its render said "active" until another node appeared,
 * with a bar that never moved. Now the tool notices the node is gone (its presence expired) and the
 * render says it is stalled, waiting for a render node, and since when, until a node takes it over.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let config: ToolConfig;
let tool: RunningTool;
let api: ApiClient;
const nodes: TestNode[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  config = await toolConfig({ VT_DATABASE_URL: db.url, VT_RECONCILE_SEC: '1' });
  tool = await startTestTool(config);
  api = await tenantClient(tool, 'stalled-tenant');
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => stopNode(n)));
  await tool?.close();
  await db?.drop();
});

type Stalled = RenderView & { stalled: { since: string; message: string } | null };

describe('a render whose node died', () => {
  it('is shown stalled, waiting for a render node, with the time, until another node takes it', async () => {
    const speech = await makeSpeech([
      { say: 'A render node fails in the middle of this lesson. '.repeat(3) },
    ]);
    const portrait = (await api.upload('portrait', PORTRAIT)).sha256;
    const audio = (await api.upload('audio', speech.path)).sha256;
    const doomed = await startNode('doomed-stall-node', { VT_QUEUE_PREFIX: config.VT_QUEUE_PREFIX });
    nodes.push(doomed);
    const r = await api.submit({ portrait, audio, size: '1280*720', chunkSec: 2 });
    await api.waitFor(r.id, ['active'], 60_000, (v) => v.nodeId === 'doomed-stall-node');
    const killedAt = Date.now();
    await stopNode(doomed, 'SIGKILL');

    // Its presence expires within 15 s; the reconciler then marks the render.
    const stalled = (await api.waitFor(r.id, ['active'], 60_000, (v) => !!(v as Stalled).stalled)) as Stalled;
    expect(stalled.stalled!.message).toBe('stalled, waiting for a render node');
    expect(Date.parse(stalled.stalled!.since)).toBeGreaterThanOrEqual(killedAt - 1000);
    expect(stalled.history.at(-1)).toMatchObject({ kind: 'node-lost', nodeId: 'doomed-stall-node' });
    // The studio's stream starts with it too.
    const events = await api.fetch(`/api/renders/${r.id}/events`);
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    let first = '';
    while (!/event: render\ndata: [^\n]*\n\n/.test(first)) first += (await reader.read()).value ?? '';
    await reader.cancel();
    expect(first).toContain('"stalled":{"since"');

    nodes.push(await startNode('rescue-stall-node', { VT_QUEUE_PREFIX: config.VT_QUEUE_PREFIX }));
    const done = (await api.waitFor(r.id, ['done', 'failed'], 120_000)) as Stalled;
    expect(done.state).toBe('done');
    expect(done.stalled).toBeNull();
    expect(done.history.filter((e) => e.kind === 'node-lost')).toHaveLength(1);
  });
});
