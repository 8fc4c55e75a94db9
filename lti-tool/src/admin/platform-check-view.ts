import type { CheckStep, CheckStepName, PlatformCheckResult } from '../lti/platform-check.js';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang } from '../web/i18n.js';

const STEP: Record<CheckStepName, { en: string; zh: string }> = {
  keyset: { en: 'Platform keyset', zh: '平台公钥集' },
  token: { en: 'Service token (the LMS fetches our keyset)', zh: '服务令牌（LMS 获取我们的公钥集）' },
  roster: { en: 'Course roster (NRPS)', zh: '课程名单（NRPS）' },
};
const OUTCOME: Record<CheckStep['outcome'], { en: string; zh: string }> = {
  passed: { en: 'passed', zh: '通过' },
  failed: { en: 'failed', zh: '失败' },
  skipped: { en: 'not checked', zh: '未检查' },
};

/** A platform's newest connection check, step by step with the fix for each red one, and its button. */
export function platformCheckCell(lang: Lang, platformId: string, check?: PlatformCheckResult): SafeHtml {
  const button = html`<form method="post" action="/admin/platforms/${platformId}/check">
    <button type="submit">${t(lang, { en: 'Check connection', zh: '检查连接' })}</button>
  </form>`;
  if (!check)
    return html`<p>${t(lang, { en: 'Not checked yet.', zh: '尚未检查。' })}</p>
      ${button}`;
  return html`<p class="${check.passed ? 'ok' : 'error'}" data-check="${check.passed ? 'passed' : 'failed'}">
      ${
        check.passed
          ? t(lang, { en: 'Connection works', zh: '连接正常' })
          : t(lang, { en: 'Connection problem', zh: '连接有问题' })
      }
      · ${check.checkedAt.toISOString().replace('T', ' ').slice(0, 16)}
    </p>
    <ul class="check-steps">
      ${check.steps.map(
        (s) =>
          html`<li data-step="${s.name}" data-outcome="${s.outcome}">
            <strong>${t(lang, STEP[s.name])}: ${t(lang, OUTCOME[s.outcome])}.</strong>
            ${t(lang, s.detail)} ${s.fix ? html`<br /><span class="fix">${t(lang, s.fix)}</span>` : ''}
          </li>`,
      )}
    </ul>
    ${button}`;
}

/** A platform's refused scores, and the button that sends them all again. */
export function refusedGradesCell(lang: Lang, platformId: string, count: number): SafeHtml {
  if (!count) return html`0`;
  return html`<span data-refused="${count}">${count}</span>
    <form method="post" action="/admin/platforms/${platformId}/resend">
      <button type="submit">${t(lang, { en: 'Resend all', zh: '全部重新发送' })}</button>
    </form>`;
}
