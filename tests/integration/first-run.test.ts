import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { createTestDatabase, freePort, REDIS_URL, startTestTool, toolConfig } from '../helpers/farm.js';
import { REPO } from '../helpers/paths.js';

/**
 * A new admin's first steps: starting the tool without its database says how to make it (no stack
 * trace), and the sign-in page leads with the tool administrators' form, offering "Sign in with
 * DingTalk" only where an organisation is connected.
 */
describe('first run', () => {
  it('a missing database is a sentence that says how to create it', async () => {
    const port = await freePort();
    const missing = `vt_missing_${port}`;
    const run = await promisify(execFile)(
      process.execPath,
      [join(REPO, 'dist/lti-tool/src/cli/vt-tool.js'), 'start'],
      {
        env: {
          ...process.env,
          VT_DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${missing}`,
          VT_REDIS_URL: REDIS_URL,
          VT_TOOL_PORT: String(port),
          VT_LOG_LEVEL: 'silent',
        },
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`The database "${missing}" does not exist on 127.0.0.1:5432`);
    expect(run.stderr).toContain(`createdb -h 127.0.0.1 -p 5432 -U postgres ${missing}`);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  describe('the sign-in page', () => {
    let db: Awaited<ReturnType<typeof createTestDatabase>>;
    let tool: RunningTool;
    beforeAll(async () => {
      db = await createTestDatabase();
      tool = await startTestTool(await toolConfig({ VT_DATABASE_URL: db.url }));
    });
    afterAll(async () => {
      await tool?.close();
      await db?.drop();
    });

    it('offers DingTalk only when an organisation is connected, after the tool administrators', async () => {
      const bare = await (await fetch(`${tool.url}/admin/login`)).text();
      expect(bare).toContain('Tool administrators');
      expect(bare).not.toContain('Sign in with DingTalk');
      // A DingTalk admin's link names the organisation: the form is there, below.
      const linked = await (await fetch(`${tool.url}/admin/login?corp=ding-x`)).text();
      expect(linked.indexOf('Tool administrators')).toBeLessThan(linked.indexOf('Sign in with DingTalk'));
      await tool.tenants.ensureTenant('t-dt', 'DingTalk tenant');
      await tool.dingtalk.corps.save({
        corpId: 'ding-first',
        tenantId: 't-dt',
        name: 'First Co',
        appKey: 'ding-app-first',
        appSecret: 'first-secret-0123',
        agentId: '3010',
        adminUserids: ['boss'],
        eventChannel: 'http',
      });
      expect(await (await fetch(`${tool.url}/admin/login`)).text()).toContain('Sign in with DingTalk');
    });
  });
});
