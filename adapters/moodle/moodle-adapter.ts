import {
  DeliveryError,
  isPermanentStatus,
  type LmsAdapter,
  type Member,
  type RosterTarget,
  type Score,
  type ScoreTarget,
} from '../lms-adapter.js';
import type { HttpFetch } from '../http-fetch.js';
import { sameOrigin } from '../origins.js';
import type { ServicePlatform, ServiceTokens } from './service-tokens.js';

export const AGS_SCOPE = {
  lineItem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
} as const;
export const NRPS_SCOPE = 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly';

const MEDIA = {
  score: 'application/vnd.ims.lis.v1.score+json',
  lineItem: 'application/vnd.ims.lis.v2.lineitem+json',
  lineItems: 'application/vnd.ims.lis.v2.lineitemcontainer+json',
  memberships: 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json',
} as const;

/** Where line items we had to create are remembered, so each resource link gets one. */
export interface LineItemStore {
  find(platformId: string, lineitems: string, resourceLinkId: string): Promise<string | undefined>;
  save(platformId: string, lineitems: string, resourceLinkId: string, lineitem: string): Promise<void>;
  /** The platform no longer has it (deleted with its gradebook column): the next score makes another. */
  forget(platformId: string, lineitems: string, resourceLinkId: string): Promise<void>;
}

export interface MoodleAdapterDeps {
  readonly tokens: ServiceTokens;
  readonly platform: (platformId: string) => Promise<ServicePlatform | undefined>;
  readonly lineItems: LineItemStore;
  /** The tool's guarded outbound client. */
  readonly http: HttpFetch;
  readonly timeoutMs?: number;
}

/**
 * Moodle (any LTI Advantage platform): scores through Assignment and Grade Services 2.0, rosters
 * through Names and Role Provisioning Services 2.0, with the platform's OAuth2 service tokens.
 */
export class MoodleAdapter implements LmsAdapter {
  constructor(private readonly d: MoodleAdapterDeps) {}

  async publishScore(target: ScoreTarget, score: Score): Promise<void> {
    const platform = await this.platformOf(target.platformId);
    const lineitem = target.lineitem ?? (await this.ensureLineItem(platform, target, score.scoreMaximum));
    try {
      await this.call(platform, [AGS_SCOPE.score], scoresUrl(lineitem), {
        method: 'POST',
        headers: { 'content-type': MEDIA.score },
        body: JSON.stringify(score),
      });
    } catch (e) {
      // A line item we made is gone: forget it, so that a resend makes the activity a new one.
      if (e instanceof DeliveryError && e.status === 404 && !target.lineitem)
        await this.d.lineItems.forget(platform.id, target.lineitems!, target.resourceLinkId!);
      throw e;
    }
  }

  async fetchRoster(target: RosterTarget): Promise<Member[]> {
    const platform = await this.platformOf(target.platformId);
    const members: Member[] = [];
    // NRPS pages with a Link: <…>; rel="next" header.
    for (let url: string | undefined = target.membershipsUrl, pages = 0; url && pages < 100; pages++) {
      const res = await this.call(platform, [NRPS_SCOPE], url, { headers: { accept: MEDIA.memberships } });
      const body = (await res.json()) as {
        members?: { user_id: string; name?: string; roles?: string[]; status?: string }[];
      };
      for (const m of body.members ?? [])
        members.push({ userId: m.user_id, name: m.name, roles: m.roles ?? [], status: m.status ?? 'Active' });
      url = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    }
    return members;
  }

  /** The activity's line item: one we made before, one the platform has for the link, or a new one. */
  private async ensureLineItem(
    platform: ServicePlatform,
    target: ScoreTarget,
    scoreMaximum: number,
  ): Promise<string> {
    if (!target.lineitems || !target.resourceLinkId)
      throw new DeliveryError('the launch gave neither a line item nor a line items container', true);
    const known = await this.d.lineItems.find(platform.id, target.lineitems, target.resourceLinkId);
    if (known) return known;
    const listUrl = new URL(target.lineitems);
    listUrl.searchParams.set('resource_link_id', target.resourceLinkId);
    const list = (await (
      await this.call(platform, [AGS_SCOPE.lineItem], listUrl.toString(), {
        headers: { accept: MEDIA.lineItems },
      })
    ).json()) as { id: string; resourceLinkId?: string }[];
    let lineitem = list.find((l) => l.resourceLinkId === target.resourceLinkId)?.id;
    if (!lineitem) {
      const created = (await (
        await this.call(platform, [AGS_SCOPE.lineItem], target.lineitems, {
          method: 'POST',
          headers: { 'content-type': MEDIA.lineItem, accept: MEDIA.lineItem },
          body: JSON.stringify({
            label: target.label,
            scoreMaximum,
            resourceLinkId: target.resourceLinkId,
            tag: 'virtual-tutor-lesson',
          }),
        })
      ).json()) as { id?: string };
      if (!created.id) throw new DeliveryError('the platform made a line item without an id', true);
      lineitem = created.id;
    }
    await this.d.lineItems.save(platform.id, target.lineitems, target.resourceLinkId, lineitem);
    return lineitem;
  }

  private async platformOf(id: string): Promise<ServicePlatform> {
    const p = await this.d.platform(id);
    if (!p) throw new DeliveryError(`platform ${id} is not registered (or has no token URL)`, true);
    return p;
  }

  /** One service call with a bearer token; a 401 gets one retry with a fresh token. */
  private async call(
    platform: ServicePlatform,
    scopes: readonly string[],
    url: string,
    init: RequestInit,
  ): Promise<Response> {
    // Service URLs come from launch claims: our bearer tokens go to the platform's own origin only.
    if (!sameOrigin(url, platform.tokenUrl))
      throw new DeliveryError(`${new URL(url).origin} is not the platform's origin`, true);
    for (let attempt = 1; ; attempt++) {
      const token = await this.d.tokens.get(platform, scopes);
      let res: Response;
      try {
        res = await this.d.http(url, {
          ...init,
          headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(this.d.timeoutMs ?? 10_000),
        });
      } catch (e) {
        throw new DeliveryError(`${new URL(url).host} unreachable: ${(e as Error).message}`, false);
      }
      if (res.status === 401 && attempt === 1) {
        this.d.tokens.forget(platform, scopes);
        continue;
      }
      if (res.ok) return res;
      const text = (await res.text().catch(() => '')).slice(0, 500);
      throw new DeliveryError(
        `${init.method ?? 'GET'} ${new URL(url).pathname} answered ${res.status}${serviceHint(res.status, url)}`,
        isPermanentStatus(res.status),
        res.status,
        undefined,
        text,
      );
    }
  }
}

/** AGS: the scores endpoint is the line item URL with /scores appended to its path (query kept). */
export function scoresUrl(lineitem: string): string {
  const u = new URL(lineitem);
  u.pathname = `${u.pathname.replace(/\/$/, '')}/scores`;
  return u.toString();
}

/** What a service's refusal most likely means, for the admin reading the reason. */
function serviceHint(status: number, url: string): string {
  const scores = new URL(url).pathname.endsWith('/scores');
  if (status === 404 && scores)
    return ': the activity’s grade item is gone from the LMS (deleted, or the activity was removed); resending makes a new one where the tool made it';
  if (status === 404)
    return ': the LMS does not know this service address (the activity or course was removed?)';
  if (status === 403)
    return ': the LMS did not grant this service: in the tool’s settings, enable “IMS LTI Assignment and Grade Services” (grade sync and column management) and “Names and Role Provisioning”';
  if (status === 401)
    return ': the LMS refused our service token twice (check the tool’s client ID and keyset URL there)';
  return '';
}
