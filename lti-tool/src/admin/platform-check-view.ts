import type { CheckStep, CheckStepName, PlatformCheckResult } from '../lti/platform-check.js';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang, type Bilingual } from '../web/i18n.js';
import { msg } from '../messages/messages.js';

const STEP: Record<CheckStepName, Bilingual> = {
  keyset: msg.platformCheckView.platformKeyset,
  token: msg.platformCheckView.serviceTokenTheLmsFetches,
  roster: msg.platformCheckView.courseRosterNrps,
};
const OUTCOME: Record<CheckStep['outcome'], Bilingual> = {
  passed: msg.platformCheckView.passed,
  failed: msg.platformCheckView.failed,
  skipped: msg.platformCheckView.notChecked,
};

/** A platform's newest connection check, step by step with the fix for each red one, and its button. */
export function platformCheckCell(lang: Lang, platformId: string, check?: PlatformCheckResult): SafeHtml {
  const button = html`<form method="post" action="/admin/platforms/${platformId}/check">
    <button type="submit">${t(lang, msg.platformCheckView.checkConnection)}</button>
  </form>`;
  if (!check)
    return html`<p>${t(lang, msg.platformCheckView.notCheckedYet)}</p>
      ${button}`;
  return html`<p class="${check.passed ? 'ok' : 'error'}" data-check="${check.passed ? 'passed' : 'failed'}">
      ${
        check.passed
          ? t(lang, msg.platformCheckView.connectionWorks)
          : t(lang, msg.platformCheckView.connectionProblem)
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
      <button type="submit">${t(lang, msg.platformCheckView.resendAll)}</button>
    </form>`;
}
