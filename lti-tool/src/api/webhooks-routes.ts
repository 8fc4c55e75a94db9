import { Router, type Request } from 'express';
import { z } from 'zod';
import { refuseLiteralAddress } from '../net/outbound-http.js';
import { ApiError } from '../web/api-error.js';
import { IdParams, Id } from '../web/request-schemas.js';
import { validate, validOf } from '../web/validate.js';
import { WEBHOOK_EVENTS, WebhookEventTypeSchema } from '../webhooks/webhook-event-types.js';
import type { WebhookEndpoint, WebhookEndpoints } from '../webhooks/webhook-endpoints.js';
import type { Delivery, WebhookOutbox } from '../webhooks/webhook-outbox.js';
import type { WebhookDelivery } from '../webhooks/webhook-delivery.js';
import { keyTenantOf } from './api-auth.js';
import { jsonAnswer, jsonBody, openApiPath, refusals, type ApiDescription } from './api-description.js';

const EndpointFields = {
  url: z
    .url({ protocol: /^https?$/, error: 'an http(s) URL' })
    .max(2000)
    .meta({ description: 'Where events are POSTed. Private addresses only where the tool allows them.' }),
  description: z.string().trim().max(200),
  eventTypes: z.array(WebhookEventTypeSchema).min(1).max(20),
};
const CreateSchema = z
  .object({ ...EndpointFields, description: EndpointFields.description.default('') })
  .strict();
const ChangeSchema = z
  .object({
    ...EndpointFields,
    enabled: z.boolean().meta({ description: 'Turning it on again starts its failure streak afresh.' }),
  })
  .partial()
  .strict();
const DeliveryParams = IdParams.extend({ messageId: Id });

const when = z.iso.datetime();
const EndpointSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string(),
    eventTypes: z.array(WebhookEventTypeSchema),
    enabled: z.boolean(),
    disabledReason: z
      .enum(['tenant', 'failing'])
      .nullable()
      .meta({ description: '`failing`: the tool turned it off after a long failure streak.' }),
    failures: z.number().int().meta({ description: 'Attempts failed in a row.' }),
    failingSince: when.nullable(),
    createdAt: when,
  })
  .meta({ id: 'WebhookEndpoint' });
const EndpointWithSecretSchema = EndpointSchema.extend({
  secret: z.string().meta({
    description: 'The Standard Webhooks signing secret (`whsec_…`): verify each delivery with it.',
  }),
}).meta({ id: 'WebhookEndpointWithSecret' });
const DeliverySchema = z
  .object({
    messageId: z.string().meta({ description: 'The `webhook-id` the receiver saw.' }),
    eventType: WebhookEventTypeSchema,
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    lastStatus: z.number().int().nullable().meta({ description: 'The receiver’s last HTTP status.' }),
    lastError: z.string().nullable(),
    lastAttemptAt: when.nullable(),
    deliveredAt: when.nullable(),
    createdAt: when,
  })
  .meta({ id: 'WebhookDelivery' });

const endpointView = (e: WebhookEndpoint) => ({
  id: e.id,
  url: e.url,
  description: e.description,
  eventTypes: e.eventTypes,
  enabled: e.enabled,
  disabledReason: e.disabledReason,
  failures: e.failures,
  failingSince: e.failingSince,
  createdAt: e.createdAt,
});
const deliveryView = (d: Delivery) => ({
  messageId: d.messageId,
  eventType: d.eventType,
  status: d.status,
  attempts: d.attempts,
  lastStatus: d.lastStatus,
  lastError: d.lastError,
  lastAttemptAt: d.lastAttemptAt,
  deliveredAt: d.deliveredAt,
  createdAt: d.createdAt,
});

export const describeWebhooksRoutes: ApiDescription = (r) => {
  const one = { params: IdParams };
  r.registerPath({
    method: 'get',
    path: '/api/webhooks',
    operationId: 'listWebhookEndpoints',
    summary: 'The tenant’s webhook endpoints',
    responses: {
      200: jsonAnswer(z.object({ endpoints: z.array(EndpointSchema) }), 'Its endpoints.'),
      ...refusals(401, 403),
    },
  });
  r.registerPath({
    method: 'post',
    path: '/api/webhooks',
    operationId: 'createWebhookEndpoint',
    summary: 'Register an endpoint for events',
    description:
      'Deliveries follow the Standard Webhooks specification: `webhook-id`, `webhook-timestamp` and ' +
      '`webhook-signature` headers, retried with backoff until a 2xx answer.',
    request: { body: jsonBody(CreateSchema) },
    responses: {
      201: jsonAnswer(EndpointWithSecretSchema, 'Registered; keep the secret to verify deliveries.'),
      ...refusals(400, 401, 403, 422),
    },
  });
  r.registerPath({
    method: 'get',
    path: openApiPath('/api/webhooks/:id'),
    operationId: 'getWebhookEndpoint',
    summary: 'An endpoint, with its signing secret',
    request: one,
    responses: {
      200: jsonAnswer(EndpointWithSecretSchema, 'The endpoint.'),
      ...refusals(400, 401, 403, 404),
    },
  });
  r.registerPath({
    method: 'patch',
    path: openApiPath('/api/webhooks/:id'),
    operationId: 'changeWebhookEndpoint',
    summary: 'Change an endpoint, or turn it off or on',
    request: { ...one, body: jsonBody(ChangeSchema) },
    responses: {
      200: jsonAnswer(EndpointWithSecretSchema, 'Changed.'),
      ...refusals(400, 401, 403, 404, 422),
    },
  });
  r.registerPath({
    method: 'delete',
    path: openApiPath('/api/webhooks/:id'),
    operationId: 'deleteWebhookEndpoint',
    summary: 'Delete an endpoint and its deliveries',
    request: one,
    responses: { 204: { description: 'Deleted.' }, ...refusals(400, 401, 403, 404) },
  });
  r.registerPath({
    method: 'get',
    path: openApiPath('/api/webhooks/:id/deliveries'),
    operationId: 'listWebhookDeliveries',
    summary: 'An endpoint’s recent deliveries (newest first, 100 at most)',
    request: one,
    responses: {
      200: jsonAnswer(z.object({ deliveries: z.array(DeliverySchema) }), 'Its deliveries.'),
      ...refusals(400, 401, 403, 404),
    },
  });
  r.registerPath({
    method: 'post',
    path: openApiPath('/api/webhooks/:id/deliveries/:messageId/resend'),
    operationId: 'resendWebhookDelivery',
    summary: 'Send a delivered or failed event again (same webhook-id)',
    request: { params: DeliveryParams },
    responses: { 202: { description: 'Queued again.' }, ...refusals(400, 401, 403, 404) },
  });
  for (const [type, schema] of Object.entries(WEBHOOK_EVENTS))
    r.registerWebhook({
      method: 'post',
      path: type,
      operationId: `event:${type}`,
      summary: schema.meta()?.description,
      request: {
        body: jsonBody(
          z.object({ type: z.literal(type), timestamp: when, data: schema }).meta({
            description: 'Signed as Standard Webhooks says: verify `webhook-signature` with the secret.',
          }),
        ),
      },
      responses: { 200: { description: 'Any 2xx answer delivers it; anything else is retried.' } },
    });
};

/**
 * /api/webhooks: a tenant's endpoints and their deliveries, for its API keys (endpoints are the
 * tenant's, not a course's: an instructor's launch is refused). Another tenant's is "not found".
 */
export function webhooksRoutes(d: {
  endpoints: WebhookEndpoints;
  outbox: WebhookOutbox;
  delivery: WebhookDelivery;
  allowPrivate: boolean;
}): Router {
  const router = Router();
  const tenantOf = (req: Request): string =>
    keyTenantOf(req.user, 'Webhooks are the tenant’s: manage them with an API key.');
  // A literal private address is refused at once (a name is checked where it is resolved, at delivery).
  const checkUrl = (url: string | undefined): void => {
    try {
      if (url) refuseLiteralAddress(new URL(url), d.allowPrivate);
    } catch (e) {
      throw ApiError.of('UNPROCESSABLE', `${(e as Error).message}; events are not sent there.`);
    }
  };
  const endpointOf = async (tenantId: string, id: string) => {
    const e = await d.endpoints.get(tenantId, id);
    if (!e) throw ApiError.of('NOT_FOUND', 'No such webhook endpoint.');
    return e;
  };
  const idOf = (res: Parameters<typeof validOf>[0]) =>
    validOf<unknown, unknown, z.infer<typeof IdParams>>(res).params.id;

  router.get('/api/webhooks', async (req, res) => {
    res.json({ endpoints: (await d.endpoints.list(tenantOf(req))).map(endpointView) });
  });

  router.post(
    '/api/webhooks',
    validate({ body: CreateSchema }, 'The endpoint is not valid.'),
    async (req, res) => {
      const tenantId = tenantOf(req);
      const body = validOf<z.infer<typeof CreateSchema>>(res).body;
      checkUrl(body.url);
      const e = await d.endpoints.create(tenantId, body);
      req.log.info(
        { event: 'webhook-endpoint', tenantId, endpointId: e.id, url: e.url },
        'webhook endpoint registered',
      );
      res
        .status(201)
        .location(`/api/webhooks/${e.id}`)
        .json({ ...endpointView(e), secret: e.secret });
    },
  );

  router.get('/api/webhooks/:id', validate({ params: IdParams }), async (req, res) => {
    const e = await endpointOf(tenantOf(req), idOf(res));
    res.set('cache-control', 'no-store').json({ ...endpointView(e), secret: e.secret });
  });

  router.patch(
    '/api/webhooks/:id',
    validate({ params: IdParams, body: ChangeSchema }, 'The change is not valid.'),
    async (req, res) => {
      const tenantId = tenantOf(req);
      const change = validOf<z.infer<typeof ChangeSchema>>(res).body;
      checkUrl(change.url);
      const e = await d.endpoints.change(tenantId, idOf(res), change);
      if (!e) throw ApiError.of('NOT_FOUND', 'No such webhook endpoint.');
      req.log.info(
        { event: 'webhook-endpoint', tenantId, endpointId: e.id, change },
        'webhook endpoint changed',
      );
      res.set('cache-control', 'no-store').json({ ...endpointView(e), secret: e.secret });
    },
  );

  router.delete('/api/webhooks/:id', validate({ params: IdParams }), async (req, res) => {
    const tenantId = tenantOf(req);
    if (!(await d.endpoints.remove(tenantId, idOf(res))))
      throw ApiError.of('NOT_FOUND', 'No such webhook endpoint.');
    req.log.info({ event: 'webhook-endpoint', tenantId, endpointId: idOf(res) }, 'webhook endpoint deleted');
    res.status(204).end();
  });

  router.get('/api/webhooks/:id/deliveries', validate({ params: IdParams }), async (req, res) => {
    const tenantId = tenantOf(req);
    const e = await endpointOf(tenantId, idOf(res));
    res.json({ deliveries: (await d.outbox.list({ tenantId, endpointId: e.id })).map(deliveryView) });
  });

  router.post(
    '/api/webhooks/:id/deliveries/:messageId/resend',
    validate({ params: DeliveryParams }),
    async (req, res) => {
      const tenantId = tenantOf(req);
      const { id, messageId } = validOf<unknown, unknown, z.infer<typeof DeliveryParams>>(res).params;
      const e = await endpointOf(tenantId, id);
      if (!(await d.delivery.resend({ messageId, endpointId: e.id }, `api:${tenantId}`, tenantId)))
        throw ApiError.of('NOT_FOUND', 'No finished delivery of that event to this endpoint.');
      res.status(202).end();
    },
  );
  return router;
}
