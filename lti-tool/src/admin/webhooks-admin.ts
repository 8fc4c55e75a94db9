import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { msg } from '../messages/messages.js';
import type { TenantRepository } from '../tenants/tenant-repository.js';
import { ApiError } from '../web/api-error.js';
import { dataTable } from '../web/data-table.js';
import { html } from '../web/html.js';
import { langOf, t, type Lang } from '../web/i18n.js';
import { Id, IdParams } from '../web/request-schemas.js';
import { validate, validOf } from '../web/validate.js';
import { WEBHOOK_EVENT_TYPES, WebhookEventTypeSchema } from '../webhooks/webhook-event-types.js';
import type { WebhookEndpoint, WebhookEndpoints } from '../webhooks/webhook-endpoints.js';
import type { Delivery, WebhookOutbox } from '../webhooks/webhook-outbox.js';
import type { WebhookDelivery } from '../webhooks/webhook-delivery.js';
import { adminOf } from './admin-users.js';
import { adminPage } from './admin-page.js';

export interface WebhooksAdminDeps {
  readonly endpoints: WebhookEndpoints;
  readonly outbox: WebhookOutbox;
  readonly delivery: WebhookDelivery;
  readonly tenants: TenantRepository;
}

const form = express.urlencoded({ extended: false, limit: '8kb' });
const AddForm = z.object({
  tenant: Id,
  url: z.url({ protocol: /^https?$/ }).max(2000),
  description: z.string().trim().max(200).default(''),
  // One checkbox sends a string, several an array.
  events: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(WebhookEventTypeSchema).min(1)),
});
const ResendForm = z.object({ messageId: Id, endpointId: Id });
const EnabledForm = z.object({ enabled: z.enum(['true', 'false']) });

const STATUS_LABEL = {
  pending: msg.webhooksAdmin.statusPending,
  delivered: msg.webhooksAdmin.statusDelivered,
  failed: msg.webhooksAdmin.statusFailed,
} as const;

const stamp = (d: Date | null): string => (d ? d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '—');

/**
 * /admin/webhooks: every tenant's endpoints and recent deliveries, for the tool's administrators. An
 * endpoint the tool turned off after failing for long is announced at the top (nobody is emailed:
 * this page is where it is seen); deliveries can be resent, endpoints turned off, on, or deleted.
 */
export function webhooksAdmin(d: WebhooksAdminDeps, toolAdmin: RequestHandler): Router {
  const router = Router();

  const show = async (
    req: Request,
    res: Response,
    o: { status?: number; notice?: string; error?: string; values?: Record<string, unknown> } = {},
  ): Promise<void> => {
    const lang = langOf(req);
    const endpointId = typeof req.query.endpoint === 'string' ? req.query.endpoint : undefined;
    const [endpoints, deliveries, tenants] = await Promise.all([
      d.endpoints.list(),
      d.outbox.list({ endpointId, limit: 100 }),
      d.tenants.list(),
    ]);
    res
      .status(o.status ?? 200)
      .type('html')
      .send(
        page(lang, {
          endpoints,
          deliveries,
          tenants,
          endpointId,
          ...o,
          notice: o.notice ?? noticeOf(req, lang),
        }),
      );
  };

  router.get('/admin/webhooks', toolAdmin, (req, res, next) => void show(req, res).catch(next));

  router.post('/admin/webhooks', toolAdmin, form, (req, res, next) => {
    const lang = langOf(req);
    const parsed = AddForm.safeParse(req.body ?? {});
    if (!parsed.success)
      return void show(req, res, {
        status: 400,
        error: t(lang, msg.webhooksAdmin.checkTheForm),
        values: req.body as Record<string, unknown>,
      }).catch(next);
    const f = parsed.data;
    d.tenants
      .exists(f.tenant)
      .then(async (known) => {
        if (!known) return show(req, res, { status: 400, error: t(lang, msg.webhooksAdmin.noSuchTenant) });
        const e = await d.endpoints.create(f.tenant, {
          url: f.url,
          description: f.description,
          eventTypes: f.events,
        });
        req.log.info(
          { event: 'webhook-endpoint', tenantId: f.tenant, endpointId: e.id, url: e.url, by: adminOf(req) },
          'webhook endpoint registered',
        );
        // The secret is shown on this answer; the tenant reads it again through the API.
        await show(req, res, { status: 201, notice: t(lang, msg.webhooksAdmin.registered(e.url, e.secret)) });
      })
      .catch(next);
  });

  router.post(
    '/admin/webhooks/:id/enabled',
    toolAdmin,
    form,
    validate({ params: IdParams, body: EnabledForm }),
    (req, res, next) => {
      const { params, body } = validOf<z.infer<typeof EnabledForm>, unknown, { id: string }>(res);
      d.endpoints
        .byId(params.id)
        .then(async (e) => {
          if (!e) throw ApiError.of('NOT_FOUND', 'No such webhook endpoint.');
          await d.endpoints.change(e.tenantId, e.id, { enabled: body.enabled === 'true' });
          req.log.info(
            { event: 'webhook-endpoint', endpointId: e.id, enabled: body.enabled, by: adminOf(req) },
            'webhook endpoint changed',
          );
          res.redirect(
            303,
            `/admin/webhooks?${body.enabled === 'true' ? 'on' : 'off'}=${encodeURIComponent(e.url)}`,
          );
        })
        .catch(next);
    },
  );

  router.post('/admin/webhooks/:id/delete', toolAdmin, validate({ params: IdParams }), (req, res, next) => {
    const { id } = validOf<unknown, unknown, { id: string }>(res).params;
    d.endpoints
      .byId(id)
      .then(async (e) => {
        if (!e || !(await d.endpoints.remove(e.tenantId, id)))
          throw ApiError.of('NOT_FOUND', 'No such webhook endpoint.');
        req.log.info(
          { event: 'webhook-endpoint', endpointId: id, by: adminOf(req) },
          'webhook endpoint deleted',
        );
        res.redirect(303, `/admin/webhooks?deleted=${encodeURIComponent(e.url)}`);
      })
      .catch(next);
  });

  router.post('/admin/webhooks/resend', toolAdmin, form, validate({ body: ResendForm }), (req, res, next) => {
    const k = validOf<z.infer<typeof ResendForm>>(res).body;
    d.delivery
      .resend(k, adminOf(req))
      .then((ok) => {
        if (!ok) throw ApiError.of('NOT_FOUND', 'No finished delivery of that event to that endpoint.');
        res.redirect(303, `/admin/webhooks?resent=${encodeURIComponent(k.messageId)}`);
      })
      .catch(next);
  });
  return router;
}

function noticeOf(req: Request, lang: Lang): string | undefined {
  const q = req.query;
  if (typeof q.resent === 'string') return t(lang, msg.webhooksAdmin.resent(q.resent));
  if (typeof q.on === 'string') return t(lang, msg.webhooksAdmin.turnedOn(q.on));
  if (typeof q.off === 'string') return t(lang, msg.webhooksAdmin.turnedOff(q.off));
  if (typeof q.deleted === 'string') return t(lang, msg.webhooksAdmin.deleted(q.deleted));
  return undefined;
}

function page(
  lang: Lang,
  o: {
    endpoints: WebhookEndpoint[];
    deliveries: Delivery[];
    tenants: { id: string; name: string }[];
    endpointId?: string;
    notice?: string;
    error?: string;
    values?: Record<string, unknown>;
  },
): string {
  const heading = t(lang, msg.webhooksAdmin.heading);
  const urlOf = new Map(o.endpoints.map((e) => [e.id, e.url]));
  const stopped = o.endpoints.filter((e) => !e.enabled && e.disabledReason === 'failing');
  const v = o.values ?? {};
  const picked = new Set([v.events ?? []].flat());
  const stateOf = (e: WebhookEndpoint): string =>
    e.enabled
      ? t(lang, msg.webhooksAdmin.on)
      : e.disabledReason === 'failing'
        ? t(lang, msg.webhooksAdmin.offFailing(e.failures, stamp(e.failingSince)))
        : t(lang, msg.webhooksAdmin.offByTenant);
  return adminPage(
    lang,
    { current: '/admin/webhooks', heading, notice: o.notice, error: o.error },
    html`${
        stopped.length
          ? html`<div role="alert" class="error" id="turned-off">
              <p>${t(lang, msg.webhooksAdmin.turnedOffForFailing(stopped.length))}</p>
              <ul>
                ${stopped.map(
                  (e) =>
                    html`<li>
                      ${e.tenantId}: ${e.url} —
                      ${t(lang, msg.webhooksAdmin.offFailing(e.failures, stamp(e.failingSince)))}
                    </li>`,
                )}
              </ul>
            </div>`
          : ''
      }
      <p>${t(lang, msg.webhooksAdmin.intro)}</p>
      <h2>${t(lang, msg.webhooksAdmin.endpoints)}</h2>
      ${dataTable<WebhookEndpoint>({
        id: 'endpoints',
        caption: t(lang, msg.webhooksAdmin.endpoints),
        rows: o.endpoints,
        empty: t(lang, msg.webhooksAdmin.noEndpoints),
        rowData: (e) => ({ endpoint: e.id, state: e.enabled ? 'on' : (e.disabledReason ?? 'off') }),
        columns: [
          { header: t(lang, msg.webhooksAdmin.tenant), cell: (e) => e.tenantId },
          { header: 'URL', cell: (e) => e.url, rowHeader: true },
          { header: t(lang, msg.webhooksAdmin.events), cell: (e) => e.eventTypes.join(', ') },
          { header: t(lang, msg.webhooksAdmin.state), cell: stateOf },
          {
            header: t(lang, msg.webhooksAdmin.actions),
            cell: (e) =>
              html`<form method="post" action="/admin/webhooks/${e.id}/enabled">
                  <input type="hidden" name="enabled" value="${e.enabled ? 'false' : 'true'}" />
                  <button type="submit">
                    ${t(lang, e.enabled ? msg.webhooksAdmin.turnOff : msg.webhooksAdmin.turnOn)}
                  </button>
                </form>
                <form method="post" action="/admin/webhooks/${e.id}/delete">
                  <button type="submit">${t(lang, msg.webhooksAdmin.delete)}</button>
                </form>
                <a href="/admin/webhooks?endpoint=${e.id}#deliveries"
                  >${t(lang, msg.webhooksAdmin.itsDeliveries)}</a
                >`,
          },
        ],
      })}
      <h2>${t(lang, msg.webhooksAdmin.addEndpoint)}</h2>
      <form method="post" action="/admin/webhooks">
        <label for="tenant">${t(lang, msg.webhooksAdmin.tenant)}</label>
        <select id="tenant" name="tenant" required>
          ${o.tenants.map(
            (x) =>
              html`<option value="${x.id}" ${v.tenant === x.id ? 'selected' : ''}>
                ${x.name} (${x.id})
              </option>`,
          )}
        </select>
        <label for="url">URL</label>
        <input id="url" name="url" type="url" required value="${String(v.url ?? '')}" />
        <label for="description">${t(lang, msg.webhooksAdmin.description)}</label>
        <input id="description" name="description" value="${String(v.description ?? '')}" />
        <fieldset>
          <legend>${t(lang, msg.webhooksAdmin.events)}</legend>
          ${WEBHOOK_EVENT_TYPES.map(
            (type) =>
              html`<label
                ><input type="checkbox" name="events" value="${type}" ${picked.has(type) ? 'checked' : ''} />
                ${type}</label
              > `,
          )}
        </fieldset>
        <p><button type="submit">${t(lang, msg.webhooksAdmin.add)}</button></p>
      </form>
      <h2 id="deliveries">
        ${o.endpointId ? t(lang, msg.webhooksAdmin.deliveriesTo(urlOf.get(o.endpointId) ?? o.endpointId)) : t(lang, msg.webhooksAdmin.recentDeliveries)}
      </h2>
      ${dataTable<Delivery>({
        id: 'deliveries-table',
        caption: t(lang, msg.webhooksAdmin.recentDeliveries),
        rows: o.deliveries,
        empty: t(lang, msg.webhooksAdmin.noDeliveries),
        rowData: (x) => ({ message: x.messageId, status: x.status }),
        columns: [
          { header: t(lang, msg.webhooksAdmin.when), cell: (x) => stamp(x.createdAt) },
          { header: t(lang, msg.webhooksAdmin.tenant), cell: (x) => x.tenantId },
          { header: t(lang, msg.webhooksAdmin.event), cell: (x) => x.eventType, rowHeader: true },
          { header: 'URL', cell: (x) => urlOf.get(x.endpointId) ?? '—' },
          { header: t(lang, msg.webhooksAdmin.state), cell: (x) => t(lang, STATUS_LABEL[x.status]) },
          { header: t(lang, msg.webhooksAdmin.attempts), cell: (x) => x.attempts },
          {
            header: t(lang, msg.webhooksAdmin.lastAnswer),
            cell: (x) => [x.lastStatus, x.lastError].filter((s) => s !== null).join(' · ') || '—',
          },
          {
            header: t(lang, msg.webhooksAdmin.actions),
            cell: (x) =>
              x.status === 'pending'
                ? '—'
                : html`<form method="post" action="/admin/webhooks/resend">
                    <input type="hidden" name="messageId" value="${x.messageId}" />
                    <input type="hidden" name="endpointId" value="${x.endpointId}" />
                    <button type="submit">${t(lang, msg.webhooksAdmin.resend)}</button>
                  </form>`,
          },
        ],
      })}`,
  );
}
