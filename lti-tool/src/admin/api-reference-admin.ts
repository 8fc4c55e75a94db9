import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Router, type RequestHandler } from 'express';
import { html } from '../web/html.js';
import { langOf, t } from '../web/i18n.js';
import { msg } from '../messages/messages.js';
import { adminPage } from './admin-page.js';

/**
 * Scalar's self-contained bundle: served by us, so the page needs no CDN and keeps our CSP. The
 * package exports only its styles by name; the bundle lies beside them.
 */
const SCALAR_BUNDLE = join(
  dirname(createRequire(import.meta.url).resolve('@scalar/api-reference/style.css')),
  'browser/standalone.js',
);

/**
 * /admin/api: the tenant API's interactive reference (Scalar, reading `/api/openapi.json`), for the
 * tool's administrators; HR developers get the same document from `/api/openapi.json` itself.
 */
export function apiReferenceAdmin(toolAdmin: RequestHandler): Router {
  const router = Router();
  router.get('/admin/api', toolAdmin, (req, res) => {
    const lang = langOf(req);
    res.type('html').send(
      adminPage(
        lang,
        { current: '/admin/api', heading: t(lang, msg.apiReferenceAdmin.heading) },
        html`<p>
            ${t(lang, msg.apiReferenceAdmin.intro)}
            <a href="/api/openapi.json">/api/openapi.json</a>
          </p>
          <div id="api-reference" data-spec-url="/api/openapi.json"></div>
          <script src="/admin/api/scalar.js"></script>
          <script src="/static/api-reference.js"></script>`,
        // Scalar's stylesheet names its hosted fonts; the system's are used instead, before it renders.
        html`<style>
          :root:root {
            --scalar-font: system-ui, sans-serif;
            --scalar-font-code: ui-monospace, monospace;
          }
        </style>`,
      ),
    );
  });
  router.get('/admin/api/scalar.js', toolAdmin, (_req, res) => {
    res.sendFile(SCALAR_BUNDLE, { headers: { 'cache-control': 'private, max-age=86400' } });
  });
  return router;
}
