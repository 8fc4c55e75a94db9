import express, { Router, type RequestHandler } from 'express';
import { html } from '../web/html.js';
import { langOf, t } from '../web/i18n.js';
import { page } from '../web/page.js';
import { sendLtiError } from './error-page.js';
import { ApiError } from '../web/api-error.js';
import { allowPlatform } from './platform-framing.js';
import { RegistrationError, type PlatformRegistration } from './platform-registration.js';
import type { RegistrationInvites } from './registration-invites.js';

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
      const heading = t(lang, { en: 'A registration URL for your LMS', zh: '用于 LMS 的注册 URL' });
      return void res.type('html').send(
        page(
          lang,
          heading,
          html`<main>
            <h1>${heading}</h1>
            <p role="status">
              ${t(lang, {
                en: 'Paste this page’s URL into your LMS, not into a browser. Moodle: Site administration → Plugins → Activity modules → External tool → Manage tools → “Tool URL”, then “Add LTI Advantage”. It registers one platform, once.',
                zh: '请将本页的 URL 粘贴到 LMS 中，而不是浏览器里。Moodle：网站管理 → 插件 → 活动模块 → 外部工具 → 管理工具 →“工具 URL”，然后点击“添加 LTI Advantage”。该 URL 只能注册一个平台一次。',
              })}
            </p>
          </main>`,
        ),
      );
    }
    const title = t(lang, { en: 'Register Virtual Tutor', zh: '注册 Virtual Tutor' });
    allowPlatform(res, config);
    res.type('html').send(
      page(
        lang,
        title,
        html`<main>
          <h1>${title}</h1>
          <p>${t(lang, { en: 'Platform configuration', zh: '平台配置' })}: <code>${config}</code></p>
          <form method="post" action="/lti/register/${token}">
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
            <p>
              ${t(lang, {
                en: 'The tool now checks the connection both ways (Moodle must be able to fetch the tool’s keyset, which its HTTP security blocks by default for private addresses and ports other than 80 and 443); the tool administrator sees the result on the platforms page.',
                zh: '工具现在会双向检查连接（Moodle 必须能获取工具的公钥集，而其 HTTP 安全设置默认阻止内网地址以及 80、443 以外的端口）；工具管理员可在平台页面查看结果。',
              })}
            </p>
            <p>
              ${t(lang, {
                en: 'One setting registration cannot make: on the tool’s cog in Manage tools, set “Tool configuration usage” to “Show in activity chooser and as a preconfigured tool”, or teachers will not find “Generate avatar lesson”.',
                zh: '注册无法设置的一项：在“管理工具”中点击该工具的齿轮图标，将“工具配置用途”设为“在活动选择器中显示并作为预配置工具”，否则教师找不到“生成数字人课程”。',
              })}
            </p>
          </main>`,
          html`<script src="/static/registered.js"></script>`,
        ),
      );
    },
  );
  return router;
}
