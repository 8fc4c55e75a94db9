import type { RunningTool } from '../../lti-tool/src/server.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';

/**
 * What the LMS needs to show the tool's parts on its own pages: the logo may be loaded from Moodle's
 * origin (helmet's same-origin resource policy broke it on every Moodle page), and the studio may show
 * a portrait from a blob: URL. Scripts and styles stay same-origin.
 */
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

describe('embedding in the LMS', () => {
  it('serves the logo to other origins, and scripts to its own only', async () => {
    const logo = await fetch(`${tool.url}/static/logo.svg`);
    expect(logo.status).toBe(200);
    expect(logo.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const script = await fetch(`${tool.url}/static/studio.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cross-origin-resource-policy')).toBe('same-origin');
  });

  it('lets pages show images from blob: URLs (the studio’s portrait preview)', async () => {
    const csp = (await fetch(`${tool.url}/admin/login`)).headers.get('content-security-policy')!;
    expect(csp).toMatch(/img-src 'self' data: blob:/);
  });
});
