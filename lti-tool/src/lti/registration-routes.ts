import express, { Router } from 'express';
import { html } from '../web/html.js';
import { langOf, t } from '../web/i18n.js';
import { page } from '../web/page.js';
import { sendLtiError } from './error-page.js';
import { allowPlatform } from './platform-framing.js';
import { RegistrationError, type PlatformRegistration } from './platform-registration.js';

/**
 * Dynamic registration, as the LMS opens it: GET shows what will be registered and one button; POST
 * registers and tells the LMS window it may close (org.imsglobal.lti.close).
 */
export function registrationRoutes(registration: PlatformRegistration): Router {
  const router = Router();
  router.get('/lti/register', (req, res) => {
    const lang = langOf(req);
    const config = String(req.query.openid_configuration ?? '');
    if (!/^https?:\/\//.test(config))
      return sendLtiError(req, res, 'REGISTRATION_FAILED', 'no openid_configuration in the query');
    const title = t(lang, { en: 'Register Virtual Tutor', zh: '注册 Virtual Tutor' });
    allowPlatform(res, config);
    res.type('html').send(
      page(
        lang,
        title,
        html`<main>
          <h1>${title}</h1>
          <p>${t(lang, { en: 'Platform configuration', zh: '平台配置' })}: <code>${config}</code></p>
          <form method="post" action="/lti/register">
            <input type="hidden" name="openid_configuration" value="${config}" />
            <input
              type="hidden"
              name="registration_token"
              value="${String(req.query.registration_token ?? '')}"
            />
            <button type="submit" id="register">
              ${t(lang, { en: 'Register with this platform', zh: '在此平台注册' })}
            </button>
          </form>
        </main>`,
      ),
    );
  });
  router.post('/lti/register', express.urlencoded({ extended: false, limit: '8kb' }), async (req, res) => {
    const lang = langOf(req);
    const b = (req.body ?? {}) as Record<string, string>;
    try {
      const { issuer } = await registration.register(
        String(b.openid_configuration),
        b.registration_token || undefined,
      );
      const title = t(lang, { en: 'Registered', zh: '注册成功' });
      allowPlatform(res, issuer);
      res.type('html').send(
        page(
          lang,
          title,
          html`<main>
            <h1>${title}</h1>
            <p role="status">
              ${t(lang, {
                en: 'Virtual Tutor is registered. In Moodle, activate the tool (Manage tools → Activate), then add it to a course.',
                zh: 'Virtual Tutor 已注册。请在 Moodle 中激活该工具（管理工具 → 激活），然后将其添加到课程。',
              })}
            </p>
          </main>`,
          html`<script src="/static/registered.js"></script>`,
        ),
      );
    } catch (e) {
      if (!(e instanceof RegistrationError)) throw e;
      sendLtiError(
        req,
        res,
        'REGISTRATION_FAILED',
        `${e.message} (Moodle blocks private addresses and ports other than 80/443 by default: Site administration → Security → HTTP security.)`,
      );
    }
  });
  return router;
}
