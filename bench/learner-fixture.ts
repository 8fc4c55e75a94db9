/**
 * What the learner-side benchmarks share: a tool's database with a registered platform, published
 * lessons and launch sessions seeded in PostgreSQL directly (launching learners is the LTI
 * benchmark's subject), and keep-alive HTTP as a browser's (undici's fetch costs this machine's two
 * cores so much that it, not the tool, would be measured).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { ToolConfig } from '../lti-tool/src/config.js';
import { LtiSessions } from '../lti-tool/src/lti/lti-sessions.js';
import { tenantIdOf } from '../lti-tool/src/lti/lti-registry.js';
import { ReferencePlatform } from '../reference-platform/src/reference-platform.js';
import { createTestDatabase, startTestTool, toolConfig } from '../tests/helpers/farm.js';
import { registerManually } from '../tests/helpers/lti.js';

export interface LearnerFixture {
  readonly config: ToolConfig;
  readonly sql: pg.Pool;
  readonly platform: ReferencePlatform;
  readonly tenantId: string;
  /** A published lesson of course 101, `durationSec` long. */
  lesson(title: string, durationSec: number): Promise<string>;
  /** A learner's launch session on `lessonId`; with `lineitem`, scores go to that gradebook column. */
  sessionFor(user: string, lessonId: string, lineitem?: string): Promise<string>;
  close(): Promise<void>;
}

export async function learnerFixture(): Promise<LearnerFixture> {
  const db = await createTestDatabase();
  const config = await toolConfig({ VT_DATABASE_URL: db.url });
  const platform = await new ReferencePlatform().start();
  const registering = await startTestTool({ ...config, VT_TOOL_PORT: 0 });
  const reg = await registerManually({ ...registering, url: config.VT_PUBLIC_URL }, platform);
  await registering.close();
  const sql = new pg.Pool({ connectionString: db.url });
  const { rows: platforms } = await sql.query<{ id: string }>('SELECT id FROM lti_platforms');
  const platformId = platforms[0]!.id;
  const tenantId = tenantIdOf(platform.issuer, reg.clientId, reg.deploymentId);
  const sha = (c: string): string => c.repeat(64);
  await sql.query(
    `INSERT INTO assets (tenant_id, sha256, kind, content_type, bytes) VALUES ($1, $2, 'portrait', 'image/png', 1), ($1, $3, 'audio', 'audio/wav', 1)`,
    [tenantId, sha('a'), sha('b')],
  );
  const sessions = new LtiSessions(sql);
  return {
    config,
    sql,
    platform,
    tenantId,
    async lesson(title, durationSec) {
      const [lessonId, versionId, renderId] = [randomUUID(), randomUUID(), randomUUID()];
      await sql.query(`INSERT INTO lessons (id, tenant_id, context_id, title) VALUES ($1, $2, '101', $3)`, [
        lessonId,
        tenantId,
        title,
      ]);
      await sql.query(
        `INSERT INTO lesson_versions (id, lesson_id, tenant_id, portrait_sha256, audio_sha256, engine, settings)
         VALUES ($1, $2, $3, $4, $5, 'preview', '{}')`,
        [versionId, lessonId, tenantId, sha('a'), sha('b')],
      );
      await sql.query(
        `INSERT INTO renders (id, tenant_id, lesson_id, version_id, engine, state, result)
         VALUES ($1, $2, $3, $4, 'preview', 'done', $5)`,
        [renderId, tenantId, lessonId, versionId, { durationSec }],
      );
      await sql.query('UPDATE lessons SET published_render_id = $1 WHERE id = $2', [renderId, lessonId]);
      return lessonId;
    },
    sessionFor: (user, lessonId, lineitem) =>
      sessions.create({
        tenantId,
        platformId,
        deploymentId: reg.deploymentId,
        contextId: '101',
        userId: user,
        role: 'learner',
        messageType: 'LtiResourceLinkRequest',
        resourceLinkId: 'bench',
        lessonId,
        launch: {
          issuer: platform.issuer,
          clientId: reg.clientId,
          ...(lineitem && {
            ags: { scope: ['https://purl.imsglobal.org/spec/lti-ags/scope/score'], lineitem },
          }),
        },
      }),
    async close() {
      await sql.end();
      await platform.close();
      await db.drop();
    },
  };
}

/** POSTs JSON over `agent` (keep-alive); resolves with the status (0: no answer). */
export function postJson(
  agent: http.Agent,
  to: { readonly host: string; readonly port: string | number },
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve) => {
    const json = JSON.stringify(body);
    const req = http.request(
      {
        host: to.host,
        port: to.port,
        path,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(json),
          ...headers,
        },
      },
      (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0)),
    );
    req.on('error', () => resolve(0));
    req.end(json);
  });
}

/** What one run of an offered load gave: rate taken, latencies, answers other than 200. */
export interface OfferedRun {
  readonly perSec: number;
  readonly latencies: number[];
  readonly warmup: number[];
  /** Answers other than 200, by status (0: no answer, the connection failed). */
  readonly failures: Map<number, number>;
  readonly sent: number;
  readonly seconds: number;
}

/**
 * An open-loop load, as learners make it: each of `learners` sends its n-th request (`send(i, n)`)
 * every `everyMs`, spread evenly over one period, for `seconds`, whether or not the tool keeps up.
 * Latencies after `warmupMs` are counted, those before reported apart; all sorted.
 */
export async function offerLoad(
  o: { learners: number; everyMs: number; seconds: number; warmupMs: number },
  send: (learner: number, n: number) => Promise<number>,
): Promise<OfferedRun> {
  const latencies: number[] = [];
  const warmup: number[] = [];
  const failures = new Map<number, number>();
  let sent = 0;
  const started = performance.now();
  const end = started + o.seconds * 1000;
  await Promise.all(
    Array.from({ length: o.learners }, async (_, i) => {
      let at = started + (i * o.everyMs) / o.learners;
      for (let n = 0; at < end; n++, at += o.everyMs) {
        await sleep(Math.max(0, at - performance.now()));
        const t0 = performance.now();
        const status = await send(i, n);
        sent++;
        if (t0 >= started + o.warmupMs) latencies.push(performance.now() - t0);
        else warmup.push(performance.now() - t0);
        if (status !== 200) failures.set(status, (failures.get(status) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  warmup.sort((a, b) => a - b);
  return { perSec: sent / seconds, latencies, warmup, failures, sent, seconds };
}
