import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang } from '../web/i18n.js';

const PAGES = [
  { href: '/admin', label: { en: 'Render nodes', zh: '渲染节点' }, scoped: false },
  { href: '/admin/progress', label: { en: 'Completion', zh: '完成情况' }, scoped: true },
  { href: '/admin/platforms', label: { en: 'LMS platforms', zh: 'LMS 平台' }, scoped: false },
  { href: '/admin/dingtalk', label: { en: 'DingTalk', zh: '钉钉' }, scoped: true },
  { href: '/admin/background', label: { en: 'Background work', zh: '后台任务' }, scoped: false },
] as const;

/**
 * The navigation every admin page starts with; `current` is marked for screen readers. An admin of
 * one organisation (`scoped`, signed in with DingTalk) sees only the pages open to them.
 */
export function adminNav(lang: Lang, current: string, scoped = false): SafeHtml {
  return html`<nav aria-label="${t(lang, { en: 'Administration', zh: '管理' })}">
    ${PAGES.filter((p) => !scoped || p.scoped).map(
      (p) =>
        html`<a href="${p.href}" ${p.href === current ? html`aria-current="page"` : ''}
          >${t(lang, p.label)}</a
        > `,
    )}
    <form method="post" action="/admin/logout">
      <button type="submit">${t(lang, { en: 'Sign out', zh: '退出' })}</button>
    </form>
  </nav>`;
}
