import type { Request, Response } from 'express';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Bilingual, type Lang } from '../web/i18n.js';
import { page } from '../web/page.js';
import { sendProblem } from '../web/problem-page.js';
import { msg } from '../messages/messages.js';

/**
 * Lets this response use `url`'s origin for one CSP directive beside 'self': the DingTalk JSAPI
 * (script-src), or DingTalk's sign-in page as a form's destination (form-action, which also covers
 * the redirect a same-origin form leads to).
 */
export function allowOrigin(res: Response, directive: 'script-src' | 'form-action', url: string): void {
  const origin = new URL(url).origin;
  const csp = String(res.getHeader('content-security-policy') ?? '');
  res.setHeader(
    'content-security-policy',
    csp.replace(new RegExp(`${directive} [^;]*`), `${directive} 'self' ${origin}`),
  );
}

export type DingTalkProblem =
  | 'UNKNOWN_CORP'
  | 'LESSON_NOT_FOUND'
  | 'NOT_ASSIGNED'
  | 'SIGN_IN_FAILED'
  | 'STATE_MISSING'
  | 'DINGTALK_UNAVAILABLE';

const PROBLEMS: Record<DingTalkProblem, { status: number; text: Bilingual }> = {
  UNKNOWN_CORP: {
    status: 404,
    text: msg.dingtalkPage.thisDingtalkOrganisationIsNot,
  },
  LESSON_NOT_FOUND: {
    status: 404,
    text: msg.dingtalkPage.thisLessonDoesNotExist,
  },
  NOT_ASSIGNED: {
    status: 403,
    text: msg.dingtalkPage.thisLessonHasNotBeen,
  },
  SIGN_IN_FAILED: {
    status: 401,
    text: msg.dingtalkPage.dingtalkCouldNotConfirmWho,
  },
  DINGTALK_UNAVAILABLE: {
    status: 503,
    text: msg.dingtalkPage.dingtalkDidNotAnswerJust,
  },
  STATE_MISSING: {
    status: 403,
    text: msg.dingtalkPage.thisSignInDidNot,
  },
};

/** A bilingual error page of the DingTalk bridge, with a reference for the log. */
export function sendDingTalkError(
  req: Request,
  res: Response,
  problem: DingTalkProblem,
  detail?: string,
): void {
  const p = PROBLEMS[problem];
  sendProblem(req, res, {
    status: p.status,
    title: msg.dingtalkPage.virtualTutorInDingtalk,
    text: p.text,
    code: problem,
    detail,
  });
}

/** The page that signs a person in inside DingTalk, then posts the code to open the lesson. */
export function freeLoginPage(
  lang: Lang,
  o: { action: string; corpId: string; clientId: string; state: string; jsapiUrl: string; title: string },
): string {
  // The app's key is DingTalk's clientId: the current JSAPI asks for it with the organisation.
  const form: SafeHtml = html`<form id="dingtalk-login" method="post" action="${o.action}">
    <input type="hidden" name="corpId" value="${o.corpId}" />
    <input type="hidden" name="clientId" value="${o.clientId}" />
    <input type="hidden" name="state" value="${o.state}" />
    <input type="hidden" name="code" value="" />
  </form>`;
  return page(
    lang,
    o.title,
    html`<main>
      <h1>${o.title}</h1>
      <p id="dingtalk-status" role="status" aria-live="polite">
        ${t(lang, msg.dingtalkPage.signingYouInWithDingtalk)}
      </p>
      <p id="dingtalk-outside" class="error" role="alert" hidden>
        ${t(lang, msg.dingtalkPage.openThisPageInsideThe)}
      </p>
      <p id="dingtalk-failed" class="error" role="alert" hidden>
        ${t(lang, msg.dingtalkPage.dingtalkDidNotGiveA)}
      </p>
      ${form}
    </main>`,
    html`<script src="${o.jsapiUrl}"></script>
      <script src="/static/dingtalk-login.js" defer></script>`,
  );
}
