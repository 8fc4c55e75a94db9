import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { LtiRegistry } from '../lti/lti-registry.js';
import { RegistrationError } from '../lti/platform-registration.js';
import {
  INVITE_HOURS,
  type RegistrationInvite,
  type RegistrationInvites,
} from '../lti/registration-invites.js';
import { toolValues, type PlatformRegistration } from '../lti/platform-registration.js';
import type { ToolKeys } from '../lti/tool-keys.js';
import { dataTable } from '../web/data-table.js';
import { html } from '../web/html.js';
import { langOf, t, type Lang, type Bilingual } from '../web/i18n.js';
import { adminPage } from './admin-page.js';
import { ApiError } from '../web/api-error.js';
import type { PlatformCheck } from '../lti/platform-check.js';
import type { GradeResender } from '../grades/grade-delivery.js';
import { platformCheckCell, refusedGradesCell } from './platform-check-view.js';
import { msg } from '../messages/messages.js';
import { IdParams } from '../web/request-schemas.js';
import { adminOf } from './admin-users.js';
import { validate, validOf } from '../web/validate.js';

export interface PlatformsAdminDeps {
  readonly registration: PlatformRegistration;
  readonly registry: LtiRegistry;
  readonly invites: RegistrationInvites;
  readonly keys: ToolKeys;
  readonly publicUrl: string;
  readonly keyGraceHours: number;
  readonly check: PlatformCheck;
  readonly grades: GradeResender;
}

const ManualForm = z.object({
  name: z.string().trim().min(1).max(200),
  issuer: z.url().max(500),
  clientId: z.string().trim().min(1).max(500),
  authLoginUrl: z.url().max(1000),
  tokenUrl: z.url().max(1000),
  keysetUrl: z.url().max(1000),
  deploymentIds: z
    .string()
    .transform((s) => [...new Set(s.split(/[\s,]+/).filter(Boolean))])
    .pipe(z.array(z.string().max(255)).min(1)),
});
type ManualFormValues = Partial<Record<keyof z.input<typeof ManualForm>, string>>;

const FIELDS: readonly { name: keyof ManualFormValues; label: Bilingual; hint?: string }[] = [
  { name: 'name', label: msg.platformsAdmin.name, hint: 'Moodle (HR)' },
  {
    name: 'issuer',
    label: msg.platformsAdmin.platformIdIssuer,
    hint: 'https://moodle.example.com',
  },
  { name: 'clientId', label: msg.platformsAdmin.clientId },
  {
    name: 'authLoginUrl',
    label: msg.platformsAdmin.authenticationRequestUrl,
    hint: 'https://moodle.example.com/mod/lti/auth.php',
  },
  {
    name: 'tokenUrl',
    label: msg.platformsAdmin.accessTokenUrl,
    hint: 'https://moodle.example.com/mod/lti/token.php',
  },
  {
    name: 'keysetUrl',
    label: msg.platformsAdmin.publicKeysetUrl,
    hint: 'https://moodle.example.com/mod/lti/certs.php',
  },
  {
    name: 'deploymentIds',
    label: msg.platformsAdmin.deploymentIdSCommaSeparated,
  },
];

/**
 * /admin/platforms: the LMSs registered with this tool, registering one by hand (for LMSs without
 * Dynamic Registration), the values to type into the LMS, and the tool's signing keys with rotation.
 * Mounted behind the admin login and its same-origin check for writes.
 */
export function platformsAdmin(d: PlatformsAdminDeps, signedIn: RequestHandler): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '16kb' });

  const show = async (
    req: Request,
    res: Response,
    status = 200,
    error?: string,
    values: ManualFormValues = {},
    invite?: RegistrationInvite,
  ) => {
    const lang = langOf(req);
    res
      .status(status)
      .type('html')
      .send(await platformsPage(d, lang, { error, values, invite, notice: noticeOf(req, lang) }));
  };

  router.get('/admin/platforms', signedIn, (req, res, next) => void show(req, res).catch(next));

  router.post('/admin/platforms', signedIn, form, (req, res, next) => {
    const values = req.body as ManualFormValues;
    const parsed = ManualForm.safeParse(values);
    const lang = langOf(req);
    if (!parsed.success) {
      const field = FIELDS.find((f) => f.name === parsed.error.issues[0]?.path[0]);
      const what = field ? t(lang, field.label) : '';
      return void show(req, res, 400, t(lang, msg.platformsAdmin.checkItIsMissingOr(what)), values).catch(
        next,
      );
    }
    const p = parsed.data;
    d.registry
      .platformByClient(p.issuer, [p.clientId])
      .then(async (existing) => {
        if (existing) return show(req, res, 409, t(lang, msg.platformsAdmin.thisPlatformAndClientId), values);
        const platformId = await d.registration.addManually(p);
        // The LMS was set up first (it gave the client ID): check the connection now, in the
        // background (an unreachable LMS takes its timeouts); the list shows the result.
        d.check.runSoon(platformId, adminOf(req));
        res.redirect(303, `/admin/platforms?added=${encodeURIComponent(p.issuer)}`);
      })
      .catch((e: unknown) =>
        e instanceof RegistrationError ? show(req, res, 400, e.message, values) : next(e),
      );
  });

  // A one-time registration URL, shown on this answer only (it is never stored, only its hash).
  router.post('/admin/platforms/invites', signedIn, (req, res, next) => {
    const by = (req.user as { username?: string } | undefined)?.username ?? 'admin';
    d.invites
      .mint(by, INVITE_HOURS)
      .then((invite) => show(req, res, 201, undefined, {}, invite))
      .catch(next);
  });

  router.post('/admin/platforms/:id/check', signedIn, validate({ params: IdParams }), (req, res, next) => {
    d.check.run(validOf<unknown, unknown, { id: string }>(res).params.id, adminOf(req)).then((result) => {
      if (!result) return next(ApiError.of('NOT_FOUND', 'No such platform.'));
      res.redirect(
        303,
        `/admin/platforms?checked=${result.passed ? 'passed' : 'failed'}${result.resent ? `&resent=${result.resent}` : ''}`,
      );
    }, next);
  });

  router.post('/admin/platforms/:id/resend', signedIn, validate({ params: IdParams }), (req, res, next) => {
    d.grades
      .resend({ platformId: validOf<unknown, unknown, { id: string }>(res).params.id }, adminOf(req))
      .then((n) => res.redirect(303, `/admin/platforms?resent=${n}`), next);
  });

  router.post('/admin/keys/rotate', signedIn, (_req, res, next) => {
    d.keys.rotate().then((r) => res.redirect(303, `/admin/platforms?rotated=${r.kid}`), next);
  });
  return router;
}

function noticeOf(req: Request, lang: Lang): string | undefined {
  const resent = Number(req.query.resent ?? 0);
  const again = resent ? t(lang, msg.platformsAdmin.refusedGradeSSentAgain(resent)) : '';
  if (req.query.checked === 'passed') return t(lang, msg.platformsAdmin.theConnectionCheckPassed) + again;
  if (req.query.checked === 'failed') return t(lang, msg.platformsAdmin.theConnectionCheckFoundA);
  if (req.query.resent !== undefined)
    return again.trim() || t(lang, msg.platformsAdmin.noRefusedGradesToSend);
  const added = req.query.added;
  if (typeof added === 'string') return t(lang, msg.platformsAdmin.registeredItsConnectionIsBeing(added));
  const rotated = req.query.rotated;
  if (typeof rotated === 'string') return t(lang, msg.platformsAdmin.newSigningKeyIsActive(rotated));
  return undefined;
}

async function platformsPage(
  d: PlatformsAdminDeps,
  lang: Lang,
  o: { error?: string; notice?: string; values: ManualFormValues; invite?: RegistrationInvite },
): Promise<string> {
  const [platforms, keys, invites, checks, refused] = await Promise.all([
    d.registry.list(),
    d.keys.list(),
    d.invites.recent(),
    d.check.latest(),
    d.grades.failedByPlatform(),
  ]);
  const heading = t(lang, msg.platformsAdmin.lmsPlatforms);
  return adminPage(
    lang,
    { current: '/admin/platforms', heading, notice: o.notice, error: o.error },
    html`${dataTable({
        caption: heading,
        rows: platforms,
        rowData: (p) => ({ platform: p.id }),
        empty: t(lang, msg.platformsAdmin.noneYet),
        columns: [
          { header: t(lang, msg.platformsAdmin.name), cell: (p) => p.name },
          { header: t(lang, msg.platformsAdmin.issuer), cell: (p) => p.issuer },
          { header: t(lang, msg.platformsAdmin.clientId), cell: (p) => p.clientId },
          {
            header: t(lang, msg.platformsAdmin.registered),
            cell: (p) =>
              p.registeredVia === 'dynamic'
                ? t(lang, msg.platformsAdmin.dynamic)
                : t(lang, msg.platformsAdmin.byHand),
          },
          {
            header: t(lang, msg.platformsAdmin.deployments),
            cell: (p) => p.deploymentIds.join(', ') || '—',
          },
          {
            header: t(lang, msg.platformsAdmin.connection),
            cell: (p) => platformCheckCell(lang, p.id, checks.get(p.id)),
          },
          {
            header: t(lang, msg.platformsAdmin.refusedGrades),
            cell: (p) => refusedGradesCell(lang, p.id, refused.get(p.id) ?? 0),
          },
        ],
      })}

      <h2>${t(lang, msg.platformsAdmin.registrationUrls)}</h2>
      <p>${t(lang, msg.platformsAdmin.moodle41CreateA(INVITE_HOURS))}</p>
      ${
        o.invite
          ? html`<p role="status">
              ${t(lang, msg.platformsAdmin.newRegistrationUrlShownOnly)}
              <code id="registration-url">${o.invite.url}</code>
              · ${t(lang, msg.platformsAdmin.expires)} ${o.invite.expiresAt.toISOString()}
            </p>`
          : ''
      }
      <form method="post" action="/admin/platforms/invites">
        <p>
          <button type="submit">${t(lang, msg.platformsAdmin.createRegistrationUrl)}</button>
        </p>
      </form>
      ${
        invites.length
          ? dataTable({
              caption: t(lang, msg.platformsAdmin.recentRegistrationUrls),
              rows: invites,
              columns: [
                {
                  header: t(lang, msg.platformsAdmin.created),
                  cell: (i) => i.createdAt.toISOString(),
                },
                { header: t(lang, msg.platformsAdmin.by), cell: (i) => i.createdBy },
                {
                  header: t(lang, msg.platformsAdmin.state),
                  cell: (i) =>
                    i.usedAt
                      ? t(lang, msg.platformsAdmin.used(i.usedAt.toISOString()))
                      : i.expiresAt < new Date()
                        ? t(lang, msg.platformsAdmin.expired)
                        : t(lang, msg.platformsAdmin.openUntil(i.expiresAt.toISOString())),
                },
              ],
            })
          : ''
      }

      <h2>${t(lang, msg.platformsAdmin.valuesForTheLms)}</h2>
      <p>${t(lang, msg.platformsAdmin.forAnLmsWithoutDynamic)}</p>
      <dl>
        ${Object.entries(toolValues(d.publicUrl)).map(
          ([k, v]) =>
            html`<dt>${k}</dt>
              <dd><code>${v}</code></dd>`,
        )}
      </dl>

      <h2>${t(lang, msg.platformsAdmin.registerAPlatformByHand)}</h2>
      <form method="post" action="/admin/platforms">
        ${FIELDS.map(
          (f) =>
            html`<label for="f-${f.name}">${t(lang, f.label)}</label>
              <input
                id="f-${f.name}"
                name="${f.name}"
                required
                value="${o.values[f.name] ?? ''}"
                ${f.hint ? html`placeholder="${f.hint}"` : ''}
              />`,
        )}
        <p><button type="submit">${t(lang, msg.platformsAdmin.register)}</button></p>
      </form>

      <h2>${t(lang, msg.platformsAdmin.signingKeys)}</h2>
      <p>${t(lang, msg.platformsAdmin.publishedAtLtiKeysA(d.publicUrl, d.keyGraceHours))}</p>
      ${dataTable({
        caption: t(lang, msg.platformsAdmin.signingKeys),
        rows: keys,
        columns: [
          { header: 'kid', cell: (k) => html`<code>${k.kid}</code>` },
          { header: t(lang, msg.platformsAdmin.created), cell: (k) => k.createdAt.toISOString() },
          {
            header: t(lang, msg.platformsAdmin.state),
            cell: (k) =>
              k.retiredAt
                ? t(lang, msg.platformsAdmin.retired(k.retiredAt.toISOString(), k.published))
                : t(lang, msg.platformsAdmin.active),
          },
        ],
      })}
      <form method="post" action="/admin/keys/rotate">
        <p><button type="submit">${t(lang, msg.platformsAdmin.rotateSigningKey)}</button></p>
      </form>`,
  );
}
