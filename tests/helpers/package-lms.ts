import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { REPO } from './paths.js';
import { loopbackServer, type Answer } from './loopback-server.js';

/** An xAPI statement as the LRS received it, with the request's credentials and version header. */
export interface ReceivedStatement {
  readonly statement: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly authorization: string;
  readonly version: string;
}

/** cmi5's session as the LMS set it up for one launch (cmi5 spec §8: launch, §10: LMS.LaunchData). */
export interface Cmi5Launch {
  readonly url: string;
  readonly registration: string;
  readonly sessionId: string;
  readonly activityId: string;
  readonly actor: { objectType: 'Agent'; name: string; account: { homePage: string; name: string } };
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  xml: 'application/xml',
  json: 'application/json',
};

/**
 * An LMS without LTI, for exported packages, on an origin of its own. It hosts what it imported
 * (the zip, unpacked) and plays it the ways LMSs do:
 *
 * - SCORM 1.2: a page whose `window.API` is scorm-again's SCORM 1.2 runtime (what LMSs embed to be
 *   one), framing the package's launch page as its SCO;
 * - cmi5: the LMS's half of the cmi5 specification (Quartz): it writes the `launched` statement and
 *   the `LMS.LaunchData` state, then opens the AU with `endpoint`, `fetch`, `actor`, `registration`
 *   and `activityId`; its fetch URL hands out the auth token once; and an xAPI endpoint (LRS) keeps
 *   the statements with the credentials and version header each came with.
 */
export class PackageLms {
  readonly statements: ReceivedStatement[] = [];
  private readonly packages = new Map<string, Record<string, Uint8Array>>();
  private readonly states = new Map<string, string>();
  private readonly tokens = new Map<string, { token: string; used: boolean }>();
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    ({ server: this.server, url: this.url } = await loopbackServer((req, body) => this.handle(req, body)));
    return this;
  }

  /** Imports a package: its files are served under /<name>/pkg/. */
  import(name: string, zip: Uint8Array): Record<string, Uint8Array> {
    const files = unzipSync(zip);
    this.packages.set(name, files);
    return files;
  }

  /** The SCORM 1.2 LMS page, framing the package imported as `name` for this learner. */
  scormPage(name: string, learner: { id: string; name: string }): string {
    const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>LMS</title>
      <script src="/scorm-again/scorm12.js"></script>
      <script>
        window.API = new Scorm12API({ logLevel: 5 });
        window.API.cmi.core.student_id = ${JSON.stringify(learner.id)};
        window.API.cmi.core.student_name = ${JSON.stringify(learner.name)};
        window.finished = false;
        window.API.on('LMSFinish', () => { window.finished = true; });
      </script></head>
      <body><iframe id="sco" title="Lesson" src="/${name}/pkg/index.html" style="width:100%;height:90vh" allow="autoplay"></iframe></body></html>`;
    this.packages.set(`${name}-lms`, { 'index.html': new TextEncoder().encode(page) });
    return `${this.url}/${name}-lms/pkg/index.html`;
  }

  /** The LMS's side of a cmi5 launch of the package's AU (`activityId` from its cmi5.xml). */
  cmi5Launch(name: string, activityId: string, masteryScore?: number): Cmi5Launch {
    const registration = randomUUID();
    const sessionId = randomUUID();
    const actor = {
      objectType: 'Agent' as const,
      name: 'Li Lei',
      account: { homePage: 'https://lms.example', name: 'emp-7' },
    };
    const launchData = {
      contextTemplate: {
        extensions: { 'https://w3id.org/xapi/cmi5/context/extensions/sessionid': sessionId },
      },
      launchMode: 'Normal',
      moveOn: 'Completed',
      ...(masteryScore !== undefined && { masteryScore }),
      returnURL: `${this.url}/returned`,
    };
    this.states.set(this.stateKey(activityId, registration, 'LMS.LaunchData'), JSON.stringify(launchData));
    this.tokens.set(sessionId, { token: Buffer.from(`au:${randomUUID()}`).toString('base64'), used: false });
    // §9.3.1: the LMS records "launched" before the AU starts.
    this.statements.push({
      statement: {
        id: randomUUID(),
        actor,
        verb: { id: 'http://adlnet.gov/expapi/verbs/launched', display: { 'en-US': 'Launched' } },
        object: { id: activityId, objectType: 'Activity' },
        context: { registration, extensions: launchData.contextTemplate.extensions },
        timestamp: new Date().toISOString(),
      },
      authorization: 'lms',
      version: '1.0.3',
    });
    const q = new URLSearchParams({
      endpoint: `${this.url}/xapi/`,
      fetch: `${this.url}/fetch/${sessionId}`,
      actor: JSON.stringify(actor),
      registration,
      activityId,
    });
    return { url: `${this.url}/${name}/pkg/index.html?${q}`, registration, sessionId, activityId, actor };
  }

  /** The token the fetch URL of this session handed out. */
  tokenOf(sessionId: string): string | undefined {
    return this.tokens.get(sessionId)?.token;
  }

  private stateKey(activityId: string, registration: string, stateId: string): string {
    return `${activityId}\n${registration}\n${stateId}`;
  }

  private handle(req: IncomingMessage, body: string): Answer {
    const u = new URL(req.url ?? '/', this.url);
    const parts = u.pathname.split('/').filter(Boolean);
    if (parts[0] === 'scorm-again')
      return {
        status: 200,
        type: TYPES.js,
        body: readFileSync(join(REPO, 'node_modules/scorm-again/dist/scorm12.min.js'), 'utf8'),
      };
    if (parts[1] === 'pkg') {
      const file = this.packages.get(parts[0]!)?.[parts.slice(2).join('/')];
      if (!file) return { status: 404 };
      return {
        status: 200,
        type: TYPES[u.pathname.split('.').pop()!],
        body: Buffer.from(file).toString('utf8'),
      };
    }
    if (parts[0] === 'returned') return { status: 200, type: TYPES.html, body: '<p>Back in the LMS</p>' };
    // §8.2: the fetch URL answers the auth token once; a second request is an error.
    if (parts[0] === 'fetch' && req.method === 'POST') {
      const t = this.tokens.get(parts[1]!);
      if (!t || t.used)
        return {
          status: 200,
          type: TYPES.json,
          body: JSON.stringify({ 'error-code': '1', 'error-text': 'used' }),
        };
      t.used = true;
      return { status: 200, type: TYPES.json, body: JSON.stringify({ 'auth-token': t.token }) };
    }
    if (parts[0] === 'xapi') return this.lrs(req, u, parts.slice(1).join('/'), body);
    return { status: 404 };
  }

  /** The xAPI resources an AU uses: statements, activity state, agent profile. */
  private lrs(req: IncomingMessage, u: URL, resource: string, body: string): Answer {
    const authorization = String(req.headers.authorization ?? '');
    const version = String(req.headers['x-experience-api-version'] ?? '');
    const known = [...this.tokens.values()].some((t) => authorization === `Basic ${t.token}`);
    if (!known) return { status: 401 };
    if (resource === 'statements' && (req.method === 'POST' || req.method === 'PUT')) {
      const parsed = JSON.parse(body) as Record<string, unknown> | Record<string, unknown>[];
      const list = Array.isArray(parsed) ? parsed : [parsed];
      for (const statement of list) {
        const id = (statement.id as string | undefined) ?? u.searchParams.get('statementId') ?? randomUUID();
        this.statements.push({ statement: { ...statement, id }, authorization, version });
      }
      return req.method === 'PUT'
        ? { status: 204 }
        : { status: 200, type: TYPES.json, body: JSON.stringify(list.map((s) => s.id)) };
    }
    if (resource === 'activities/state' && req.method === 'GET') {
      const key = this.stateKey(
        u.searchParams.get('activityId') ?? '',
        u.searchParams.get('registration') ?? '',
        u.searchParams.get('stateId') ?? '',
      );
      const state = this.states.get(key);
      return state ? { status: 200, type: TYPES.json, body: state } : { status: 404 };
    }
    if (resource === 'agents/profile') return { status: 404 };
    return { status: 400 };
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
