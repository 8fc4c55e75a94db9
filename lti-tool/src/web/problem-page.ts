import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { html } from './html.js';
import { langOf, t, type Bilingual } from './i18n.js';
import { page } from './page.js';
import { msg } from '../messages/messages.js';

export interface Problem {
  readonly status: number;
  /** The page's heading. */
  readonly title: Bilingual;
  /** What happened and what to do, for the person in front of it. */
  readonly text: Bilingual;
  /** A stable code for support (UNKNOWN_CORP, BAD_SIGNATURE…). */
  readonly code: string;
  /** For the log only, never shown. */
  readonly detail?: string;
  /** Shown under the text: the specific cause in our own words (never a remote peer's answer). */
  readonly reason?: string;
}

/**
 * A refusal as a page: the explanation in the reader's language and the other one, the problem code
 * and a reference that finds the log line. Never a stack trace.
 */
export function sendProblem(req: Request, res: Response, p: Problem, logged?: string): void {
  // `logged`: the error handler logged the refusal already, under this reference.
  const reference = logged ?? randomBytes(5).toString('hex');
  if (!logged) req.log?.warn({ problem: p.code, detail: p.detail, reference }, 'request refused');
  const lang = langOf(req);
  const title = t(lang, p.title);
  res
    .status(p.status)
    .type('html')
    .send(
      page(
        lang,
        title,
        html`<main>
          <h1>${title}</h1>
          <p class="error" role="alert">${t(lang, p.text)}</p>
          ${lang === 'en' ? html`<p lang="zh-CN">${p.text.zh}</p>` : html`<p lang="en">${p.text.en}</p>`}
          ${p.reason ? html`<p data-reason><code>${p.reason}</code></p>` : ''}
          <p>
            <small
              >${t(lang, msg.problemPage.problem)}: <code>${p.code}</code> ·
              ${t(lang, msg.problemPage.reference)}: <code data-reference>${reference}</code></small
            >
          </p>
        </main>`,
      ),
    );
}
