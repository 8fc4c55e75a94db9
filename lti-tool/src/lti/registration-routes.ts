import express, { Router, type RequestHandler } from 'express';
import { html } from '../web/html.js';
import { langOf, t } from '../web/i18n.js';
import { page } from '../web/page.js';
import { sendLtiError } from './error-page.js';
import { ApiError } from '../web/api-error.js';
import { allowPlatform } from './platform-framing.js';
import { RegistrationError, type PlatformRegistration } from './platform-registration.js';
import type { RegistrationInvites } from './registration-invites.js';
import { msg } from '../messages/messages.js';

export interface RegistrationRoutesDeps {
  readonly registration: PlatformRegistration;
  readonly invites: RegistrationInvites;
  /** Registrations per client address (each one costs the tool a key pair and an outbound call). */
  readonly limit: RequestHandler;
  readonly log: { info(o: object, msg: string): void };
  /** Called once the LMS has the answer to a successful registration. */
  readonly onRegistered?: (platformId: string) => void;
}

/**
 * Dynamic registration, as the LMS opens it, through a one-time URL a tool admin minted
 * (`/lti/register/<token>`): GET shows what will be registered and one button; POST registers and
 * tells the LMS window it may close (org.imsglobal.lti.close). Without a usable token nothing is
 * fetched and nothing is registered.
 */
export function registrationRoutes(d: RegistrationRoutesDeps): Router {
  const router = Router();
  router.all('/lti/register', (req, res) =>
    sendLtiError(req, res, 'REGISTRATION_NEEDS_LINK', 'registration without a one-time URL'),
  );
  router.get('/lti/register/:token', d.limit, async (req, res) => {
    const lang = langOf(req);
    const token = String(req.params.token);
    if (!(await d.invites.usable(token)))
      return sendLtiError(req, res, 'REGISTRATION_LINK_INVALID', 'unknown, used or expired token');
    const config = String(req.query.openid_configuration ?? '');
    // Opened in a browser rather than by the LMS: say where the URL goes.
    if (!/^https?:\/\//.test(config)) {
      const heading = t(lang, msg.registrationRoutes.aRegistrationUrlForYour);
      return void res.type('html').send(
        page(
          lang,
          heading,
          html`<main>
            <h1>${heading}</h1>
            <p role="status">${t(lang, msg.registrationRoutes.pasteThisPagesUrlInto)}</p>
          </main>`,
        ),
      );
    }
    const title = t(lang, msg.registrationRoutes.registerVirtualTutor);
    allowPlatform(res, config);
    res.type('html').send(
      page(
        lang,
        title,
        html`<main>
          <h1>${title}</h1>
          <p>${t(lang, msg.registrationRoutes.platformConfiguration)}: <code>${config}</code></p>
          <form method="post" action="/lti/register/${token}">
            <input type="hidden" name="openid_configuration" value="${config}" />
            <input
              type="hidden"
              name="registration_token"
              value="${String(req.query.registration_token ?? '')}"
            />
            <button type="submit" id="register">
              ${t(lang, msg.registrationRoutes.registerWithThisPlatform)}
            </button>
          </form>
        </main>`,
      ),
    );
  });
  router.post(
    '/lti/register/:token',
    d.limit,
    express.urlencoded({ extended: false, limit: '8kb' }),
    async (req, res) => {
      const lang = langOf(req);
      const token = String(req.params.token);
      const b = (req.body ?? {}) as Record<string, unknown>;
      const config = typeof b.openid_configuration === 'string' ? b.openid_configuration : '';
      // A form without the LMS's configuration URL is a bad request, and spends no token.
      if (!/^https?:\/\//.test(config))
        throw ApiError.invalid('The LMS did not send its configuration (openid_configuration).');
      if (!(await d.invites.take(token)))
        return sendLtiError(req, res, 'REGISTRATION_LINK_INVALID', 'unknown, used or expired token');
      let issuer: string;
      try {
        const done = await d.registration.register(
          config,
          typeof b.registration_token === 'string' && b.registration_token ? b.registration_token : undefined,
        );
        await d.invites.spent(token, done.platformId);
        issuer = done.issuer;
        d.log.info({ event: 'registration', platformId: done.platformId, issuer }, 'platform registered');
        // Once the LMS has our answer (it registers the tool then), check the connection both ways.
        res.once('finish', () => d.onRegistered?.(done.platformId));
      } catch (e) {
        await d.invites.giveBack(token);
        if (!(e instanceof RegistrationError)) throw e;
        return sendLtiError(req, res, 'REGISTRATION_FAILED', e.message, e.message);
      }
      const title = t(lang, msg.registrationRoutes.registered);
      allowPlatform(res, issuer);
      res.type('html').send(
        page(
          lang,
          title,
          html`<main>
            <h1>${title}</h1>
            <p role="status">${t(lang, msg.registrationRoutes.virtualTutorIsRegisteredIn)}</p>
            <p>${t(lang, msg.registrationRoutes.theToolNowChecksThe)}</p>
            <p>${t(lang, msg.registrationRoutes.oneSettingRegistrationCannotMake)}</p>
          </main>`,
          html`<script src="/static/registered.js"></script>`,
        ),
      );
    },
  );
  return router;
}
