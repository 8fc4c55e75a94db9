import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang } from '../web/i18n.js';
import { page } from '../web/page.js';
import { msg } from '../messages/messages.js';

const PAGES = [
  { href: '/admin', label: msg.adminPage.renderNodes, scoped: false },
  { href: '/admin/progress', label: msg.adminPage.completion, scoped: true },
  { href: '/admin/platforms', label: msg.adminPage.lmsPlatforms, scoped: false },
  { href: '/admin/dingtalk', label: msg.adminPage.dingtalk, scoped: true },
  { href: '/admin/background', label: msg.adminPage.backgroundWork, scoped: false },
  { href: '/admin/webhooks', label: msg.adminPage.webhooks, scoped: false },
  { href: '/admin/api', label: msg.adminPage.api, scoped: false },
] as const;

/**
 * The navigation every admin page starts with; `current` is marked for screen readers. An admin of
 * one organisation (`scoped`, signed in with DingTalk) sees only the pages open to them.
 */
function adminNav(lang: Lang, current: string, scoped = false): SafeHtml {
  return html`<nav aria-label="${t(lang, msg.adminPage.administration)}">
    ${PAGES.filter((p) => !scoped || p.scoped).map(
      (p) =>
        html`<a href="${p.href}" ${p.href === current ? html`aria-current="page"` : ''}
          >${t(lang, p.label)}</a
        > `,
    )}
    <form method="post" action="/admin/logout">
      <button type="submit">${t(lang, msg.adminPage.signOut)}</button>
    </form>
  </nav>`;
}

/**
 * An admin page: the navigation, then the main region with its heading and, when given, what the
 * last action did (a status) or why it was refused (an alert).
 */
export function adminPage(
  lang: Lang,
  o: { current: string; heading: string; scoped?: boolean; notice?: string; error?: string },
  body: SafeHtml,
  head: SafeHtml = html``,
): string {
  return page(
    lang,
    o.heading,
    html`${adminNav(lang, o.current, o.scoped)}
      <main>
        <h1>${o.heading}</h1>
        ${o.notice ? html`<p role="status">${o.notice}</p>` : ''}
        ${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''} ${body}
      </main>`,
    head,
  );
}
