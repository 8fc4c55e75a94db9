import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang } from '../web/i18n.js';
import { msg } from '../messages/messages.js';

const PAGES = [
  { href: '/admin', label: msg.adminNav.renderNodes, scoped: false },
  { href: '/admin/progress', label: msg.adminNav.completion, scoped: true },
  { href: '/admin/platforms', label: msg.adminNav.lmsPlatforms, scoped: false },
  { href: '/admin/dingtalk', label: msg.adminNav.dingtalk, scoped: true },
  { href: '/admin/background', label: msg.adminNav.backgroundWork, scoped: false },
] as const;

/**
 * The navigation every admin page starts with; `current` is marked for screen readers. An admin of
 * one organisation (`scoped`, signed in with DingTalk) sees only the pages open to them.
 */
export function adminNav(lang: Lang, current: string, scoped = false): SafeHtml {
  return html`<nav aria-label="${t(lang, msg.adminNav.administration)}">
    ${PAGES.filter((p) => !scoped || p.scoped).map(
      (p) =>
        html`<a href="${p.href}" ${p.href === current ? html`aria-current="page"` : ''}
          >${t(lang, p.label)}</a
        > `,
    )}
    <form method="post" action="/admin/logout">
      <button type="submit">${t(lang, msg.adminNav.signOut)}</button>
    </form>
  </nav>`;
}
