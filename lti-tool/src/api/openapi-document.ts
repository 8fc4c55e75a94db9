import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import type { ApiDescription } from './api-description.js';
import { describeAssetsRoutes } from './assets-routes.js';
import { describeLessonLanguagesRoutes } from './lesson-languages-routes.js';
import { describeLessonPublishingRoutes } from './lesson-publishing-routes.js';
import { describeLessonQuestionsRoutes } from './lesson-questions-routes.js';
import { describeRendersRoutes } from './renders-routes.js';
import { describeSpeechRoutes } from './speech-routes.js';
import { describeStudioFacesRoutes } from './studio-faces-routes.js';
import { describeWebhooksRoutes } from './webhooks-routes.js';
import { describeLessonPackagesRoutes } from './lesson-packages-routes.js';
import { describeLearnersRoutes } from './learners-routes.js';

/** Every route file of the tenant API, as it describes itself. */
const DESCRIPTIONS: readonly ApiDescription[] = [
  describeAssetsRoutes,
  describeSpeechRoutes,
  describeRendersRoutes,
  describeStudioFacesRoutes,
  describeLessonPublishingRoutes,
  describeLessonLanguagesRoutes,
  describeLessonQuestionsRoutes,
  describeLessonPackagesRoutes,
  describeWebhooksRoutes,
  describeLearnersRoutes,
];

/** The API's version: a change that breaks a client raises the major. */
export const API_VERSION = '1.0.0';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

/**
 * The tenant API as OpenAPI 3.1, generated from the zod schemas its routes validate with. Built once
 * per process (the schemas do not change while it runs).
 */
export function openApiDocument(publicUrl: string, version = API_VERSION): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description:
      'A tenant’s API key (`vt_key_…`, made with `vt-tool api-key --tenant …`), or an instructor’s launch ' +
      'session (the studio’s own calls, limited to its course).',
  });
  for (const describe of DESCRIPTIONS) describe(registry);
  registry.registerPath({
    method: 'get',
    path: '/api/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    security: [],
    responses: {
      200: {
        description: 'The API as OpenAPI 3.1.',
        content: { 'application/json': { schema: z.object({ openapi: z.string() }) } },
      },
    },
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Virtual Tutor API',
      version,
      description:
        'Avatar lessons for a tenant: upload a portrait and a voice, render, follow the render, ' +
        'publish, dub, and ask questions inside lessons. Refusals are problem+json (RFC 9457) with a ' +
        'stable `code`.',
    },
    servers: [{ url: publicUrl }],
    security: [{ [bearer.name]: [] }],
  });
}

/** GET /api/openapi.json: the document, for anyone (it describes, it grants nothing). */
export function openApiRoutes(document: OpenApiDocument): Router {
  const router = Router();
  const body = JSON.stringify(document);
  router.get('/api/openapi.json', (_req, res) => {
    res.set('cache-control', 'public, max-age=300').type('application/json').send(body);
  });
  return router;
}
