import type { Request, Response } from 'express';
import { html } from '../web/html.js';
import { langOf, t } from '../web/i18n.js';
import { page } from '../web/page.js';
import { msg } from '../messages/messages.js';

/**
 * Inside the LMS's iframe, a browser that blocks third-party cookies would lose the launch's state
 * cookie and the launch would fail after the platform had already signed the user in. So a login
 * initiation that arrives in an iframe (Sec-Fetch-Dest) first sets a probe cookie and comes back to
 * itself; if the probe did not come back, the page offers the same login in a new window, where our
 * cookies are first-party. One extra redirect, and only inside iframes.
 */
export const PROBE_COOKIE = 'vt_cookie_probe';
const PROBE_PARAM = 'vt_probe';

/** Where a login initiation stands with the probe. */
export function probeState(
  req: Request,
  params: Record<string, string>,
  hasProbe: boolean,
): 'go-on' | 'probe' | 'blocked' {
  if (req.get('sec-fetch-dest') !== 'iframe' || hasProbe) return 'go-on';
  return params[PROBE_PARAM] === undefined ? 'probe' : 'blocked';
}

/** Sets the probe cookie and sends the login back to itself, marked as probed. */
export function sendProbe(res: Response, params: Record<string, string>, secureCookies: boolean): void {
  res.cookie(PROBE_COOKIE, '1', {
    httpOnly: true,
    path: '/lti',
    maxAge: 600_000,
    ...(secureCookies ? { secure: true, sameSite: 'none' } : { sameSite: 'lax' }),
  });
  res.redirect(303, `/lti/login?${new URLSearchParams({ ...params, [PROBE_PARAM]: '1' })}`);
}

/** The way out when cookies are blocked in the frame: the same login, in a window of its own. */
export function sendNewWindowPage(req: Request, res: Response, params: Record<string, string>): void {
  const { [PROBE_PARAM]: _probed, ...login } = params;
  // Nothing tells us the learner's language before the launch: say it in both.
  const lang = langOf(req);
  const other = lang === 'zh' ? 'en' : 'zh';
  const heading = msg.cookieProbe.openTheLessonInA;
  const why = msg.cookieProbe.yourBrowserBlocksTheCookies;
  res.type('html').send(
    page(
      lang,
      heading[lang],
      html`<main>
        <h1>${heading[lang]}</h1>
        <p>${why[lang]}</p>
        <p lang="${other === 'zh' ? 'zh-CN' : 'en'}">${why[other]}</p>
        <p>
          <a class="button" href="/lti/login?${new URLSearchParams(login)}" target="_blank" rel="noopener"
            >${t(lang, msg.cookieProbe.openInANewWindow)} ·
            <span lang="${other === 'zh' ? 'zh-CN' : 'en'}"
              >${t(other, msg.cookieProbe.openInANewWindow)}</span
            ></a
          >
        </p>
      </main>`,
    ),
  );
}
