/**
 * A REFERENCE LTI 1.3 PLATFORM SIMULATOR, for tests and the demo: Moodle cannot run here, so this
 * plays its part of the protocol faithfully (see shared/docs/lti.md, including what Moodle 5.0 sends):
 * RS256 keys and a JWKS, OpenID configuration, LTI Dynamic Registration, OIDC third-party-initiated
 * login with signed id_tokens (exp = iat + 60 s, as Moodle), a deep-linking return endpoint that
 * verifies the tool's signed response against the tool's JWKS, and AGS / NRPS endpoints behind OAuth2
 * client-credentials tokens whose client assertions must be signed by the tool's key.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import {
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { CLAIM, ROLE, SCOPE } from '../../lti-tool/src/lti/lti-claims.js';
import { escapeHtml } from '../../lti-tool/src/web/html.js';
import { moodleBlocks, type MoodleHttpSecurity } from './moodle-http-security.js';

/** Moodle's cURL security refused to fetch the tool's keyset. */
class KeysetBlocked extends Error {}

export interface ToolRegistration {
  readonly clientId: string;
  readonly deploymentId: string;
  readonly loginUrl: string;
  readonly redirectUris: readonly string[];
  readonly jwksUrl: string;
  readonly targetLinkUri: string;
  readonly name: string;
  readonly deepLinkUrl?: string;
  /** Moodle registers tools "Pending"; an admin activates them. */
  active: boolean;
}

export interface SimUser {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly role: 'Instructor' | 'Learner' | 'Administrator';
}

/** What a launch is for; kept under an lti_message_hint between login initiation and auth. */
export interface LaunchIntent {
  readonly clientId: string;
  readonly userId: string;
  readonly kind: 'resource' | 'deeplink';
  readonly contextId: string;
  /** Resource-link launches: the activity made from a deep-linking response. */
  readonly resourceLinkId?: string;
}

/** An activity made from a content item the tool returned through deep linking. */
export interface Activity {
  readonly id: string;
  readonly clientId: string;
  readonly contextId: string;
  readonly item: Record<string, unknown>;
  readonly lineItemId?: string;
}

export interface LineItem {
  id: string;
  contextId: string;
  label: string;
  scoreMaximum: number;
  resourceLinkId?: string;
  resourceId?: string;
  tag?: string;
}

export interface ReceivedScore {
  readonly lineItemId: string;
  readonly body: Record<string, unknown>;
}

const SCORE_TYPE = 'application/vnd.ims.lis.v1.score+json';

/** The users of the simulated site (ids as Moodle's: numbers as strings). */
export const SIM_USERS: readonly SimUser[] = [
  { id: '2', name: 'Ada Admin', email: 'admin@example.edu', role: 'Administrator' },
  { id: '3', name: 'Ines Instructor', email: 'ines@example.edu', role: 'Instructor' },
  { id: '4', name: 'Leo Learner', email: 'leo@example.edu', role: 'Learner' },
  { id: '5', name: 'Lin Xue', email: 'lin@example.edu', role: 'Learner' },
  { id: '6', name: 'Mia Müller', email: 'mia@example.edu', role: 'Learner' },
  { id: '7', name: 'Omar Haddad', email: 'omar@example.edu', role: 'Learner' },
];
export const SIM_COURSES = [
  { id: '101', label: 'SAFE-101', title: 'Warehouse safety' },
  { id: '102', label: 'ONB-102', title: 'Onboarding' },
];

export class ReferencePlatform {
  readonly tools = new Map<string, ToolRegistration>();
  readonly activities = new Map<string, Activity>();
  readonly lineItems = new Map<string, LineItem>();
  readonly scores: ReceivedScore[] = [];
  /** While set, the score endpoint answers this status (an LMS having a bad hour) and records nothing. */
  scoreOutage: number | undefined;
  /** Score posts refused by `scoreOutage`. */
  refusedScores = 0;
  /** How often a tool fetched the platform's keyset. */
  jwksFetches = 0;
  /**
   * Moodle's HTTP security settings, applied to the platform's own requests (the tool's keyset). Off
   * here by default, as on a Moodle whose admin allowed the tool's host and port; MOODLE_DEFAULT_HTTP_SECURITY
   * is what a fresh Moodle has.
   */
  httpSecurity: MoodleHttpSecurity | undefined;
  /**
   * The tool's "IMS LTI Names and Role Provisioning" setting: off, the token endpoint grants no roster
   * scope (Moodle grants only the services the tool is set to use), so roster calls are unauthorised.
   */
  nrpsEnabled = true;
  /** Requests the platform did not make because of `httpSecurity`, with the reason. */
  readonly blockedFetches: string[] = [];
  /** Every deep-linking response that verified, with its content items. */
  readonly deepLinkResponses: JWTPayload[] = [];
  /** Deep-linking responses refused, with the reason (for tests). */
  readonly refusedResponses: string[] = [];
  private readonly hints = new Map<string, LaunchIntent>();
  private readonly registrationTokens = new Set<string>();
  private readonly accessTokens = new Map<string, { clientId: string; scopes: string[]; exp: number }>();
  private server?: Server;
  private kid = `sim-${randomBytes(4).toString('hex')}`;
  private keys!: { privateKey: CryptoKey; publicKey: CryptoKey };
  private jwk!: JWK;
  url = '';

  /** Starts on 127.0.0.1 (port 0: any free one). */
  /** Listens on `host`; `publicHost` names it in URLs (another site than the tool's, for cookie tests). */
  async start(port = 0, host = '127.0.0.1', publicHost = host): Promise<this> {
    this.keys = await generateKeyPair('RS256', { extractable: true });
    this.jwk = { ...(await exportJWK(this.keys.publicKey)), kid: this.kid, alg: 'RS256', use: 'sig' };
    const app = this.routes();
    this.server = await new Promise<Server>((resolve) => {
      const s = app.listen(port, host, () => resolve(s));
    });
    this.url = `http://${publicHost}:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  get issuer(): string {
    return this.url;
  }

  get openidConfigurationUrl(): string {
    return `${this.url}/.well-known/openid-configuration`;
  }

  /** A registration token for one dynamic registration (Moodle makes one per "Add LTI Advantage"). */
  registrationToken(): string {
    const token = randomBytes(16).toString('hex');
    this.registrationTokens.add(token);
    return token;
  }

  /** The URL Moodle would open for the admin who pasted the tool's registration URL. */
  dynamicRegistrationUrl(toolRegistrationUrl: string): string {
    const u = new URL(toolRegistrationUrl);
    u.searchParams.set('openid_configuration', this.openidConfigurationUrl);
    u.searchParams.set('registration_token', this.registrationToken());
    return u.toString();
  }

  /** Manual registration, as an admin typing the tool's values into the LMS. */
  addTool(
    t: Omit<ToolRegistration, 'clientId' | 'deploymentId' | 'active'> & { active?: boolean },
  ): ToolRegistration {
    const reg: ToolRegistration = {
      ...t,
      clientId: randomBytes(8).toString('hex'),
      deploymentId: String(this.tools.size + 1),
      active: t.active ?? true,
    };
    this.tools.set(reg.clientId, reg);
    return reg;
  }

  /** Every service token given so far stops working (they expire on a real platform). */
  revokeAccessTokens(): void {
    this.accessTokens.clear();
  }

  /** The tool's keyset, as Moodle fetches it through its cURL security. */
  private async toolKeyset(tool: ToolRegistration): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const blocked = await moodleBlocks(this.httpSecurity, tool.jwksUrl);
    if (blocked) {
      this.blockedFetches.push(`${tool.jwksUrl}: ${blocked}`);
      throw new KeysetBlocked(blocked);
    }
    return createRemoteJWKSet(new URL(tool.jwksUrl));
  }

  /** The platform's signing key, to sign tokens in tests (good or deliberately bad ones). */
  signer(): { key: CryptoKey; kid: string } {
    return { key: this.keys.privateKey, kid: this.kid };
  }

  /** The claims Moodle 5.0 puts in an id_token for this launch (before signing). */
  claimsFor(intent: LaunchIntent, nonce: string): JWTPayload {
    const tool = this.tools.get(intent.clientId);
    if (!tool) throw new Error(`no tool ${intent.clientId}`);
    const user = SIM_USERS.find((u) => u.id === intent.userId);
    if (!user) throw new Error(`no user ${intent.userId}`);
    const course = SIM_COURSES.find((c) => c.id === intent.contextId) ?? {
      id: intent.contextId,
      label: intent.contextId,
      title: intent.contextId,
    };
    const roles = {
      Instructor: [ROLE.instructor],
      Learner: [ROLE.learner],
      Administrator: [ROLE.admin, ROLE.instructor],
    }[user.role];
    const now = Math.floor(Date.now() / 1000);
    const common: JWTPayload = {
      iss: this.issuer,
      aud: tool.clientId,
      sub: user.id,
      iat: now,
      exp: now + 60,
      nonce,
      name: user.name,
      email: user.email,
      [CLAIM.deploymentId]: tool.deploymentId,
      [CLAIM.version]: '1.3.0',
      [CLAIM.roles]: roles,
      [CLAIM.context]: { id: course.id, label: course.label, title: course.title, type: ['CourseSection'] },
      [CLAIM.toolPlatform]: {
        guid: 'sim.example.edu',
        name: 'Reference platform',
        product_family_code: 'moodle',
        version: '2025041400',
      },
    };
    const lineitems = `${this.url}/ags/${course.id}/lineitems`;
    const nrps = {
      context_memberships_url: `${this.url}/nrps/${course.id}/memberships`,
      service_versions: ['2.0'],
    };
    if (intent.kind === 'deeplink')
      return {
        ...common,
        [CLAIM.messageType]: 'LtiDeepLinkingRequest',
        [CLAIM.targetLinkUri]: tool.deepLinkUrl ?? tool.targetLinkUri,
        [CLAIM.launchPresentation]: { locale: 'en' },
        [CLAIM.deepLinkingSettings]: {
          accept_types: ['ltiResourceLink'],
          accept_presentation_document_targets: ['frame', 'iframe', 'window'],
          accept_multiple: true,
          accept_unsigned: false,
          auto_create: false,
          can_confirm: false,
          deep_link_return_url: `${this.url}/deep-link-return/${course.id}`,
          title: '',
          text: '',
        },
        [CLAIM.agsEndpoint]: {
          scope: [SCOPE.lineItem, SCOPE.lineItemReadonly, SCOPE.resultReadonly, SCOPE.score],
          lineitems,
        },
        [CLAIM.nrps]: nrps,
      };
    const activity = intent.resourceLinkId ? this.activities.get(intent.resourceLinkId) : undefined;
    return {
      ...common,
      [CLAIM.messageType]: 'LtiResourceLinkRequest',
      [CLAIM.targetLinkUri]: (activity?.item.url as string | undefined) ?? tool.targetLinkUri,
      [CLAIM.resourceLink]: {
        id: intent.resourceLinkId ?? 'no-activity',
        title: (activity?.item.title as string | undefined) ?? 'Activity',
      },
      [CLAIM.custom]: (activity?.item.custom as Record<string, string> | undefined) ?? {},
      [CLAIM.launchPresentation]: {
        locale: 'en',
        document_target: 'iframe',
        return_url: `${this.url}/course/${course.id}`,
      },
      [CLAIM.agsEndpoint]: {
        scope: [SCOPE.lineItem, SCOPE.lineItemReadonly, SCOPE.resultReadonly, SCOPE.score],
        lineitems,
        ...(activity?.lineItemId ? { lineitem: `${lineitems}/${activity.lineItemId}` } : {}),
      },
      [CLAIM.nrps]: nrps,
    };
  }

  /** Signs claims as the platform (tests may pass another key or kid to forge one). */
  async sign(claims: JWTPayload, o: { key?: CryptoKey; kid?: string; alg?: string } = {}): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: o.alg ?? 'RS256', kid: o.kid ?? this.kid, typ: 'JWT' })
      .sign(o.key ?? this.keys.privateKey);
  }

  /** Stores a launch intent and returns its lti_message_hint. */
  hintFor(intent: LaunchIntent): string {
    const hint = randomBytes(12).toString('hex');
    this.hints.set(hint, intent);
    return hint;
  }

  /** The OIDC login initiation parameters the platform sends the tool for this launch. */
  loginParams(intent: LaunchIntent): Record<string, string> {
    const tool = this.tools.get(intent.clientId)!;
    return {
      iss: this.issuer,
      login_hint: intent.userId,
      target_link_uri:
        intent.kind === 'deeplink' ? (tool.deepLinkUrl ?? tool.targetLinkUri) : tool.targetLinkUri,
      lti_message_hint: this.hintFor(intent),
      client_id: tool.clientId,
      lti_deployment_id: tool.deploymentId,
    };
  }

  private routes(): express.Express {
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(
      express.json({ type: ['application/json', SCORE_TYPE, 'application/vnd.ims.lis.v2.lineitem+json'] }),
    );

    app.get('/.well-known/openid-configuration', (_req, res) => {
      res.json({
        issuer: this.issuer,
        authorization_endpoint: `${this.url}/auth`,
        token_endpoint: `${this.url}/token`,
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: ['RS256'],
        jwks_uri: `${this.url}/jwks`,
        registration_endpoint: `${this.url}/register`,
        scopes_supported: ['openid', ...Object.values(SCOPE)],
        response_types_supported: ['id_token'],
        subject_types_supported: ['public', 'pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        claims_supported: ['sub', 'iss', 'name', 'given_name', 'family_name', 'email'],
        [CLAIM.platformConfiguration]: {
          product_family_code: 'moodle',
          version: '2025041400',
          messages_supported: [{ type: 'LtiResourceLinkRequest' }, { type: 'LtiDeepLinkingRequest' }],
          variables: ['basic-lti-launch-request', 'ContentItemSelectionRequest'],
        },
      });
    });
    app.get('/jwks', (_req, res) => {
      this.jwksFetches++;
      res.json({ keys: [this.jwk] });
    });

    // Dynamic registration: the tool POSTs its client registration with our registration token.
    app.post('/register', (req, res) => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!token || !this.registrationTokens.delete(token))
        return void res.status(401).json({ error: 'invalid_token' });
      const b = req.body as Record<string, unknown>;
      const conf = b[CLAIM.toolConfiguration] as
        | { target_link_uri?: string; messages?: Array<{ type: string; target_link_uri?: string }> }
        | undefined;
      const problems = [
        b.application_type !== 'web' && 'application_type must be web',
        !Array.isArray(b.response_types) || !b.response_types.includes('id_token') ? 'response_types' : false,
        typeof b.initiate_login_uri !== 'string' && 'initiate_login_uri',
        !Array.isArray(b.redirect_uris) || b.redirect_uris.length === 0 ? 'redirect_uris' : false,
        typeof b.jwks_uri !== 'string' && 'jwks_uri',
        b.token_endpoint_auth_method !== 'private_key_jwt' && 'token_endpoint_auth_method',
        !conf?.target_link_uri && 'target_link_uri',
      ].filter(Boolean);
      if (problems.length) return void res.status(400).json({ error: 'invalid_client_metadata', problems });
      const reg: ToolRegistration = {
        clientId: randomBytes(8).toString('hex'),
        deploymentId: String(this.tools.size + 1),
        loginUrl: b.initiate_login_uri as string,
        redirectUris: b.redirect_uris as string[],
        jwksUrl: b.jwks_uri as string,
        targetLinkUri: conf!.target_link_uri!,
        deepLinkUrl: conf!.messages?.find((m) => m.type === 'LtiDeepLinkingRequest')?.target_link_uri,
        name: String(b.client_name ?? 'Tool'),
        active: false,
      };
      this.tools.set(reg.clientId, reg);
      res.json({
        ...b,
        client_id: reg.clientId,
        registration_client_uri: `${this.url}/register/${reg.clientId}`,
        [CLAIM.toolConfiguration]: { ...conf, deployment_id: reg.deploymentId },
      });
    });

    // A browser launch, as clicking an activity (or "Generate avatar lesson") in a course.
    app.get('/launch', (req, res) => {
      const q = req.query as Record<string, string>;
      const tool = this.tools.get(q.client_id ?? '') ?? [...this.tools.values()][0];
      if (!tool?.active) return void res.status(409).send('The tool is not registered and active.');
      const intent: LaunchIntent = {
        clientId: tool.clientId,
        userId: q.user ?? '3',
        kind: q.kind === 'deeplink' ? 'deeplink' : 'resource',
        contextId: q.context ?? '101',
        resourceLinkId: q.activity,
      };
      // Moodle's "Embed" launch container: the course page frames the launch.
      if (q.embed)
        return void res
          .type('html')
          .send(
            `<!doctype html><html lang="en"><title>Course SAFE-101</title><h1>Course SAFE-101</h1>` +
              `<iframe title="Virtual Tutor" width="1000" height="700" src="/launch?${escapeHtml(
                new URLSearchParams(Object.entries(q).filter(([k]) => k !== 'embed')).toString(),
              )}"></iframe></html>`,
          );
      autoPost(res, tool.loginUrl, this.loginParams(intent), 'Launching…');
    });

    // OIDC authorization: checks the tool's request, then posts a signed id_token to its redirect URI.
    const auth = async (req: Request, res: Response): Promise<void> => {
      const p = { ...(req.query as Record<string, string>), ...(req.body as Record<string, string>) };
      const tool = this.tools.get(p.client_id ?? '');
      const intent = this.hints.get(p.lti_message_hint ?? '');
      const problem =
        (!tool && 'unknown client_id') ||
        (p.scope !== 'openid' && 'scope must be openid') ||
        (p.response_type !== 'id_token' && 'response_type must be id_token') ||
        (p.response_mode !== 'form_post' && 'response_mode must be form_post') ||
        (!tool!.redirectUris.includes(p.redirect_uri ?? '') && 'redirect_uri is not registered') ||
        (!p.nonce && 'nonce is required') ||
        (!intent && 'unknown lti_message_hint') ||
        (intent!.userId !== p.login_hint && 'login_hint does not match');
      if (problem) return void res.status(400).json({ error: 'invalid_request', error_description: problem });
      this.hints.delete(p.lti_message_hint!);
      const idToken = await this.sign(this.claimsFor(intent!, p.nonce!));
      autoPost(
        res,
        p.redirect_uri!,
        { id_token: idToken, ...(p.state ? { state: p.state } : {}) },
        'Signing in…',
      );
    };
    app.get('/auth', (req, res) => void auth(req, res));
    app.post('/auth', (req, res) => void auth(req, res));

    // Deep-linking return: the tool's response must verify against the tool's own JWKS.
    app.post('/deep-link-return/:context', async (req, res) => {
      try {
        const jwt = String((req.body as Record<string, string>).JWT ?? '');
        const header = JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString()) as {
          kid?: string;
        };
        const unverified = JSON.parse(
          Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString(),
        ) as JWTPayload;
        const tool = this.tools.get(String(unverified.iss));
        if (!tool) throw new Error(`unknown tool ${unverified.iss}`);
        if (!header.kid) throw new Error('no kid in the header');
        const { payload } = await jwtVerify(jwt, await this.toolKeyset(tool), {
          issuer: tool.clientId,
          audience: this.issuer,
          algorithms: ['RS256'],
          maxTokenAge: '5m',
        });
        if (payload[CLAIM.messageType] !== 'LtiDeepLinkingResponse') throw new Error('wrong message_type');
        if (payload[CLAIM.version] !== '1.3.0') throw new Error('wrong version');
        if (payload[CLAIM.deploymentId] !== tool.deploymentId) throw new Error('wrong deployment_id');
        if (!payload.nonce) throw new Error('no nonce');
        const items = (payload[CLAIM.contentItems] ?? []) as Array<Record<string, unknown>>;
        const made: Activity[] = [];
        for (const item of items) {
          if (item.type !== 'ltiResourceLink') continue;
          const id = String(1000 + this.activities.size);
          const contextId = String(req.params.context);
          let lineItemId: string | undefined;
          const li = item.lineItem as
            { scoreMaximum?: number; label?: string; resourceId?: string; tag?: string } | undefined;
          if (li?.scoreMaximum) {
            lineItemId = randomUUID();
            this.lineItems.set(lineItemId, {
              id: lineItemId,
              contextId,
              label: li.label ?? String(item.title ?? 'Activity'),
              scoreMaximum: li.scoreMaximum,
              resourceLinkId: id,
              resourceId: li.resourceId,
              tag: li.tag,
            });
          }
          const activity = { id, clientId: tool.clientId, contextId, item, lineItemId };
          this.activities.set(id, activity);
          made.push(activity);
        }
        this.deepLinkResponses.push(payload);
        res
          .type('html')
          .send(
            `<!doctype html><html lang="en"><title>Activity added</title><h1>Activity added</h1><ul>${made
              .map((a) => `<li data-activity="${a.id}">${escapeHtml(String(a.item.title ?? ''))}</li>`)
              .join('')}</ul><p>${escapeHtml(String(payload[CLAIM.dlMsg] ?? ''))}</p></html>`,
          );
      } catch (e) {
        this.refusedResponses.push((e as Error).message);
        // What Moodle 5.0 shows the teacher at Publish when it could not fetch the keyset.
        if (e instanceof KeysetBlocked)
          return void res
            .status(500)
            .type('text')
            .send(
              'Exception - jwks_helper::fix_jwks_alg(): Argument #1 ($jwks) must be of type array, null given',
            );
        res
          .status(400)
          .type('text')
          .send(`Deep-linking response refused: ${(e as Error).message}`);
      }
    });

    // OAuth2 client credentials with a JWT client assertion signed by the tool's key.
    app.post('/token', async (req, res) => {
      const b = req.body as Record<string, string>;
      try {
        if (b.grant_type !== 'client_credentials') throw new Error('unsupported_grant_type');
        if (b.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
          throw new Error('invalid_client');
        const unverified = JSON.parse(
          Buffer.from(String(b.client_assertion).split('.')[1] ?? '', 'base64url').toString(),
        ) as JWTPayload;
        const tool = this.tools.get(String(unverified.iss));
        if (!tool) throw new Error('invalid_client');
        await jwtVerify(b.client_assertion!, await this.toolKeyset(tool), {
          issuer: tool.clientId,
          subject: tool.clientId,
          audience: `${this.url}/token`,
          algorithms: ['RS256'],
        });
        const scopes = String(b.scope ?? '')
          .split(' ')
          .filter((s) => (Object.values(SCOPE) as string[]).includes(s))
          .filter((s) => this.nrpsEnabled || s !== SCOPE.memberships);
        const token = randomBytes(16).toString('hex');
        this.accessTokens.set(token, { clientId: tool.clientId, scopes, exp: Date.now() + 3600_000 });
        res.json({ access_token: token, token_type: 'Bearer', expires_in: 3600, scope: scopes.join(' ') });
      } catch (e) {
        // Moodle 5.0 answers 404 when it could not fetch the tool's keyset (shared/docs/lti.md).
        if (e instanceof KeysetBlocked) return void res.status(404).json({});
        res.status(400).json({
          error: (e as Error).message.startsWith('invalid') ? (e as Error).message : 'invalid_client',
        });
      }
    });
    const bearer = (req: Request, scope: string): boolean => {
      const t = this.accessTokens.get(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
      return !!t && t.exp > Date.now() && t.scopes.includes(scope);
    };

    app.get('/ags/:context/lineitems', (req, res) => {
      if (!bearer(req, SCOPE.lineItem) && !bearer(req, SCOPE.lineItemReadonly))
        return void res.sendStatus(401);
      const items = [...this.lineItems.values()].filter((l) => l.contextId === req.params.context);
      res
        .type('application/vnd.ims.lis.v2.lineitemcontainer+json')
        .json(items.map((l) => ({ ...l, id: `${this.url}/ags/${l.contextId}/lineitems/${l.id}` })));
    });
    app.post('/ags/:context/lineitems', (req, res) => {
      if (!bearer(req, SCOPE.lineItem)) return void res.sendStatus(401);
      const b = req.body as Partial<LineItem>;
      if (!b.label || !b.scoreMaximum) return void res.status(400).json({ error: 'label and scoreMaximum' });
      const id = randomUUID();
      const item: LineItem = {
        ...b,
        id,
        contextId: req.params.context,
        label: b.label,
        scoreMaximum: b.scoreMaximum,
      };
      this.lineItems.set(id, item);
      res
        .status(201)
        .type('application/vnd.ims.lis.v2.lineitem+json')
        .json({ ...item, id: `${this.url}/ags/${item.contextId}/lineitems/${id}` });
    });
    app.post('/ags/:context/lineitems/:id/scores', (req, res) => {
      if (!bearer(req, SCOPE.score)) return void res.sendStatus(401);
      if (!this.lineItems.has(req.params.id)) return void res.sendStatus(404);
      if (!req.is(SCORE_TYPE))
        return void res.status(415).json({ error: `Content-Type must be ${SCORE_TYPE}` });
      if (this.scoreOutage) {
        this.refusedScores++;
        return void res.status(this.scoreOutage).json({ error: 'simulated outage' });
      }
      const b = req.body as Record<string, unknown>;
      if (
        typeof b.userId !== 'string' ||
        typeof b.timestamp !== 'string' ||
        !b.activityProgress ||
        !b.gradingProgress
      )
        return void res
          .status(400)
          .json({ error: 'userId, timestamp, activityProgress and gradingProgress' });
      this.scores.push({ lineItemId: req.params.id, body: req.body as Record<string, unknown> });
      res.sendStatus(200);
    });
    app.get('/nrps/:context/memberships', (req, res) => {
      if (!bearer(req, SCOPE.memberships)) return void res.sendStatus(401);
      res.type('application/vnd.ims.lti-nrps.v2.membershipcontainer+json').json({
        id: `${this.url}/nrps/${req.params.context}/memberships`,
        context: { id: req.params.context },
        // Moodle lists roles as short names here, not URIs.
        members: SIM_USERS.map((u) => ({
          status: 'Active',
          user_id: u.id,
          name: u.name,
          email: u.email,
          roles: [u.role === 'Administrator' ? 'Instructor' : u.role],
        })),
      });
    });

    // The course page of the demo: one place to click through launches.
    app.get(['/', '/course/:id'], (_req, res) => {
      const tool = [...this.tools.values()][0];
      const links = tool
        ? SIM_USERS.filter((u) => u.role !== 'Administrator')
            .map(
              (u) =>
                `<li>${escapeHtml(u.name)} (${u.role}): ${
                  u.role === 'Instructor'
                    ? `<a href="/launch?kind=deeplink&user=${u.id}&context=101">Generate avatar lesson</a> · `
                    : ''
                }${[...this.activities.values()]
                  .map(
                    (a) =>
                      `<a href="/launch?activity=${a.id}&user=${u.id}&context=${a.contextId}">${escapeHtml(String(a.item.title))}</a>`,
                  )
                  .join(' · ')}</li>`,
            )
            .join('')
        : '';
      res
        .type('html')
        .send(
          `<!doctype html><html lang="en"><title>Reference LTI platform (simulator)</title>` +
            `<h1>Reference LTI 1.3 platform (simulator) · course SAFE-101</h1>` +
            (tool
              ? `<p>Tool: ${escapeHtml(tool.name)} (${tool.active ? 'active' : 'pending'})</p><ul>${links}</ul>`
              : '<p>No tool registered yet.</p>') +
            `</html>`,
        );
    });
    return app;
  }
}

function autoPost(res: Response, action: string, fields: Record<string, string>, label: string): void {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  res
    .type('html')
    .send(
      `<!doctype html><html lang="en"><title>${label}</title><body><form method="post" action="${escapeHtml(action)}">${inputs}<noscript><button>Continue</button></noscript></form><script>document.forms[0].submit()</script></body></html>`,
    );
}
