import type { JWTPayload } from 'jose';
import type { RunningTool } from '../../lti-tool/src/server.js';
import {
  ApiClient,
  createTestDatabase,
  startNode,
  startTestTool,
  stopNode,
  toolConfig,
  type TestNode,
} from './farm.js';
import { PORTRAIT } from './paths.js';
import {
  ReferencePlatform,
  type LaunchIntent,
  type ToolRegistration,
} from '../../reference-platform/src/reference-platform.js';

/** The tool on a database of its own, a render node, and the REFERENCE PLATFORM SIMULATOR. */
export interface LtiStack {
  readonly tool: RunningTool;
  readonly node: TestNode;
  readonly platform: ReferencePlatform;
  stop(): Promise<void>;
}

export async function startLtiStack(nodeId: string): Promise<LtiStack> {
  const db = await createTestDatabase();
  const config = await toolConfig({ VT_DATABASE_URL: db.url });
  const tool = await startTestTool(config);
  const node = await startNode(nodeId, { VT_QUEUE_PREFIX: config.VT_QUEUE_PREFIX });
  const platform = await new ReferencePlatform().start();
  return {
    tool,
    node,
    platform,
    async stop() {
      await stopNode(node);
      await platform.close();
      await tool.close();
      await db.drop();
    },
  };
}

/** The platform's side of a manual registration: the tool's URLs typed into the LMS. */
export function addToolTo(platform: ReferencePlatform, toolUrl: string): ToolRegistration {
  return platform.addTool({
    name: 'Virtual Tutor',
    loginUrl: `${toolUrl}/lti/login`,
    redirectUris: [`${toolUrl}/lti/launch`],
    jwksUrl: `${toolUrl}/lti/keys`,
    targetLinkUri: `${toolUrl}/lti/launch`,
  });
}

/** Registers the tool with the REFERENCE PLATFORM SIMULATOR by hand, as an admin would on both sides. */
export async function registerManually(
  tool: RunningTool,
  platform: ReferencePlatform,
  /** The platform's side of it, when the test made that first (addToolTo). */
  reg: ToolRegistration = addToolTo(platform, tool.url),
): Promise<ToolRegistration> {
  await tool.registration.addManually({
    issuer: platform.issuer,
    clientId: reg.clientId,
    name: 'Reference platform',
    authLoginUrl: `${platform.url}/auth`,
    tokenUrl: `${platform.url}/token`,
    keysetUrl: `${platform.url}/jwks`,
    deploymentIds: [reg.deploymentId],
  });
  return reg;
}

/** A minimal cookie jar: what a browser would send back to the tool. */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const value = pair!.slice(eq + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(c) || value === '') this.cookies.delete(pair!.slice(0, eq));
      else this.cookies.set(pair!.slice(0, eq), value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface LaunchResult {
  readonly status: number;
  readonly html: string;
  /** The launch's session token, from the page. */
  readonly session?: string;
  readonly csp?: string | null;
  /** Where the tool sent the browser after the id_token POST, if it redirected. */
  readonly redirectedTo?: string;
}

export interface LaunchOptions {
  /** Changes the claims before signing (negative tests). */
  readonly claims?: (c: JWTPayload) => JWTPayload;
  readonly sign?: Parameters<ReferencePlatform['sign']>[1];
  /** Drop the state cookie, as a browser blocking third-party cookies would. */
  readonly dropStateCookie?: boolean;
  /** Reuse an id_token signed before (replay). */
  readonly idToken?: string;
  /** Post the id_token to this path of the tool instead of the redirect_uri (an attacker's choice). */
  readonly postTo?: string;
}

/**
 * One LTI 1.3 launch over HTTP, as a browser would make it between the simulator and the tool: login
 * initiation → the tool's redirect to the platform's auth endpoint (state, nonce) → a signed id_token
 * posted back → the page (or, from a tool that redirects after the POST, the page it redirects to).
 */
export async function launch(
  tool: RunningTool,
  platform: ReferencePlatform,
  intent: LaunchIntent,
  o: LaunchOptions = {},
): Promise<LaunchResult & { idToken: string }> {
  const jar = new Jar();
  const login = await fetch(`${tool.url}/lti/login?${new URLSearchParams(platform.loginParams(intent))}`, {
    redirect: 'manual',
  });
  if (login.status !== 302) return { status: login.status, html: await login.text(), idToken: '' };
  jar.take(login);
  const auth = new URL(login.headers.get('location')!);
  const nonce = auth.searchParams.get('nonce')!;
  const state = auth.searchParams.get('state')!;
  const claims = (o.claims ?? ((c) => c))(platform.claimsFor(intent, nonce));
  const idToken = o.idToken ?? (await platform.sign(claims, o.sign));
  const post = await fetch(o.postTo ? `${tool.url}${o.postTo}` : auth.searchParams.get('redirect_uri')!, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(o.dropStateCookie ? {} : { cookie: jar.header() }),
    },
    body: new URLSearchParams({ id_token: idToken, state }),
  });
  jar.take(post);
  const page =
    post.status === 302
      ? await fetch(new URL(post.headers.get('location')!, tool.url), { headers: { cookie: jar.header() } })
      : post;
  const html = await page.text();
  return {
    status: page.status,
    html,
    idToken,
    redirectedTo: post.status === 302 ? (post.headers.get('location') ?? undefined) : undefined,
    session: /<meta name="vt-session" content="([^"]+)"/.exec(html)?.[1],
    csp: page.headers.get('content-security-policy'),
  };
}

/**
 * A real published lesson: rendered by a render node of its own, published to course `contextId`
 * through deep linking (the REFERENCE PLATFORM SIMULATOR takes the response and makes the activity).
 */
export async function publishLesson(
  tool: RunningTool,
  platform: ReferencePlatform,
  reg: ToolRegistration,
  o: {
    queuePrefix: string;
    title: string;
    audio: string;
    contextId?: string;
    instructor?: string;
    /** The studio's "Description for learners". */
    text?: string;
  },
): Promise<{ lessonId: string; renderId: string; activityId: string }> {
  const contextId = o.contextId ?? '101';
  const node = await startNode(`publish-${o.title.length}`, { VT_QUEUE_PREFIX: o.queuePrefix });
  try {
    const l = await launch(tool, platform, {
      clientId: reg.clientId,
      userId: o.instructor ?? '3',
      kind: 'deeplink',
      contextId,
    });
    const studio = new ApiClient(tool.url, l.session!);
    const portrait = await studio.upload('portrait', PORTRAIT);
    const audio = await studio.upload('audio', o.audio);
    const submitted = await studio.submit({
      title: o.title,
      portrait: portrait.sha256,
      audio: audio.sha256,
      size: '384*256',
    });
    const done = await studio.waitFor(submitted.id, ['done', 'failed']);
    if (done.state !== 'done') throw new Error(`render failed: ${done.error}`);
    const page = await (
      await fetch(`${tool.url}/lti/studio/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          session: l.session!,
          renderId: done.id,
          title: o.title,
          ...(o.text && { text: o.text }),
        }),
      })
    ).text();
    const jwt = /name="JWT" value="([^"]+)"/.exec(page)![1]!;
    await fetch(`${platform.url}/deep-link-return/${contextId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ JWT: jwt }),
    });
    return {
      lessonId: done.lessonId,
      renderId: done.id,
      activityId: [...platform.activities.values()].at(-1)!.id,
    };
  } finally {
    await stopNode(node);
  }
}
