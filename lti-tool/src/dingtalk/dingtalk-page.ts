import type { Request, Response } from 'express';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Bilingual, type Lang } from '../web/i18n.js';
import { page } from '../web/page.js';
import { sendProblem } from '../web/problem-page.js';

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
    text: {
      en: 'This DingTalk organisation is not connected to Virtual Tutor. Ask your administrator to connect it.',
      zh: '该钉钉组织尚未接入 Virtual Tutor，请联系管理员接入。',
    },
  },
  LESSON_NOT_FOUND: {
    status: 404,
    text: {
      en: 'This lesson does not exist or is no longer published.',
      zh: '该课程不存在或已下线。',
    },
  },
  NOT_ASSIGNED: {
    status: 403,
    text: {
      en: 'This lesson has not been assigned to you. Ask your training administrator if you should take it.',
      zh: '该课程未分配给你。如需学习，请联系培训管理员。',
    },
  },
  SIGN_IN_FAILED: {
    status: 401,
    text: {
      en: 'DingTalk could not confirm who you are (the sign-in code was refused or expired). Close this page and open the lesson again from DingTalk.',
      zh: '钉钉未能确认你的身份（免登授权码无效或已过期）。请关闭本页面，从钉钉中重新打开课程。',
    },
  },
  DINGTALK_UNAVAILABLE: {
    status: 503,
    text: {
      en: 'DingTalk did not answer just now (it is busy or out of reach), so your sign-in could not be confirmed. Try again in a minute.',
      zh: '钉钉暂时没有响应（繁忙或无法连接），无法确认你的身份。请稍后重试。',
    },
  },
  STATE_MISSING: {
    status: 403,
    text: {
      en: 'This sign-in did not start on this page (or it took too long). Open the lesson again from DingTalk.',
      zh: '本次登录并非从本页面发起（或已超时）。请从钉钉中重新打开课程。',
    },
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
    title: { en: 'Virtual Tutor in DingTalk', zh: 'Virtual Tutor · 钉钉' },
    text: p.text,
    code: problem,
    detail,
  });
}

/** The page that signs a person in inside DingTalk, then posts the code to open the lesson. */
export function freeLoginPage(
  lang: Lang,
  o: { action: string; corpId: string; state: string; jsapiUrl: string; title: string },
): string {
  const form: SafeHtml = html`<form id="dingtalk-login" method="post" action="${o.action}">
    <input type="hidden" name="corpId" value="${o.corpId}" />
    <input type="hidden" name="state" value="${o.state}" />
    <input type="hidden" name="code" value="" />
  </form>`;
  return page(
    lang,
    o.title,
    html`<main>
      <h1>${o.title}</h1>
      <p id="dingtalk-status" role="status" aria-live="polite">
        ${t(lang, { en: 'Signing you in with DingTalk…', zh: '正在通过钉钉免登…' })}
      </p>
      <p id="dingtalk-outside" class="error" role="alert" hidden>
        ${t(lang, {
          en: 'Open this page inside the DingTalk app: the sign-in works only there.',
          zh: '请在钉钉应用内打开本页面：免登仅在钉钉内可用。',
        })}
      </p>
      <p id="dingtalk-failed" class="error" role="alert" hidden>
        ${t(lang, {
          en: 'DingTalk did not give a sign-in code. Close this page and open the lesson again.',
          zh: '钉钉未返回免登授权码。请关闭本页面后重新打开课程。',
        })}
      </p>
      ${form}
    </main>`,
    html`<script src="${o.jsapiUrl}"></script>
      <script src="/static/dingtalk-login.js" defer></script>`,
  );
}
