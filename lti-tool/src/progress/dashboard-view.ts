import type { Response } from 'express';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang, type Bilingual } from '../web/i18n.js';
import {
  ProgressRepository,
  type LearnerProgress,
  type LearnerState,
  type ProgressFilter,
  type SyncState,
} from './progress-repository.js';
import { msg } from '../messages/messages.js';
import type { LessonInsights } from './lesson-insights.js';
import { lessonInsightsView } from './lesson-insights-view.js';

const STATE_LABEL: Record<LearnerState, Bilingual> = {
  'not-started': msg.dashboardView.notStarted,
  'in-progress': msg.dashboardView.inProgress,
  completed: msg.dashboardView.completed,
};
/** Moodle keeps no grade for a Pending score (it shows one only from FullyGraded, at completion). */
const SENT_NOT_GRADED = msg.dashboardView.sentMoodleShowsAGrade;
const SYNC_LABEL: Record<SyncState, Bilingual> = {
  delivered: msg.dashboardView.delivered,
  pending: msg.dashboardView.pending,
  failed: msg.dashboardView.failed,
  none: msg.dashboardView.noGrade,
};

/** Where "Resend" posts (always POST), with the fields that say who is asking. */
export interface ResendForm {
  readonly action: string;
  readonly hidden: Readonly<Record<string, string>>;
}

export interface DashboardForm {
  /** Where the filter form and the CSV export post (or get, for admins) to. */
  readonly action: string;
  readonly method: 'get' | 'post';
  /** Hidden fields every request of the dashboard carries (the launch session, the tenant). */
  readonly hidden: Readonly<Record<string, string>>;
}

/** The completion dashboard: filters, a chart of completions over time, the learners, CSV export. */
export function dashboardView(
  lang: Lang,
  o: {
    rows: readonly LearnerProgress[];
    lessons: readonly { id: string; title: string }[];
    filter: Omit<ProgressFilter, 'tenantId'>;
    form: DashboardForm;
    /** Rows span courses (the admin's tenant-wide view): a Course column names each. */
    byCourse?: boolean;
    /** Where refused grades are sent again; absent: no resend buttons. */
    resend?: ResendForm;
    notice?: string;
    /** One lesson in view: its engagement, question statistics and answers. */
    insights?: LessonInsights;
  },
): SafeHtml {
  const hidden = Object.entries(o.form.hidden).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`,
  );
  const completed = o.rows.filter((r) => r.state === 'completed').length;
  const refused = o.rows.filter(resendable).length;
  const resendButton = (label: string, fields: Record<string, string>): SafeHtml =>
    o.resend
      ? html`<form method="post" action="${o.resend.action}" class="resend">
          ${Object.entries({ ...o.resend.hidden, ...fields }).map(
            ([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`,
          )}
          <button type="submit">${label}</button>
        </form>`
      : html``;
  return html`<h1>${t(lang, msg.dashboardView.completion)}</h1>
    ${o.notice ? html`<p role="status" class="notice">${o.notice}</p>` : ''}
    <form
      method="${o.form.method}"
      action="${o.form.action}"
      class="filters"
      aria-label="${t(lang, msg.dashboardView.filters)}"
    >
      ${hidden}
      <label for="f-lesson">${t(lang, msg.dashboardView.lesson)}</label>
      <select id="f-lesson" name="lesson">
        <option value="">${t(lang, msg.dashboardView.allLessons)}</option>
        ${o.lessons.map((l) => html`<option value="${l.id}" ${l.id === o.filter.lessonId ? html`selected` : ''}>${l.title}</option>`)}
      </select>
      <label for="f-state">${t(lang, msg.dashboardView.state)}</label>
      <select id="f-state" name="state">
        <option value="">${t(lang, msg.dashboardView.all)}</option>
        ${(Object.keys(STATE_LABEL) as LearnerState[]).map((s) => html`<option value="${s}" ${s === o.filter.state ? html`selected` : ''}>${t(lang, STATE_LABEL[s])}</option>`)}
      </select>
      <label for="f-sync">${t(lang, msg.dashboardView.gradebook)}</label>
      <select id="f-sync" name="sync">
        <option value="">${t(lang, msg.dashboardView.all)}</option>
        ${(['delivered', 'pending', 'failed'] as SyncState[]).map((s) => html`<option value="${s}" ${s === o.filter.sync ? html`selected` : ''}>${t(lang, SYNC_LABEL[s])}</option>`)}
      </select>
      <label for="f-search">${t(lang, msg.dashboardView.learner)}</label>
      <input id="f-search" name="search" value="${o.filter.search ?? ''}" />
      <button type="submit">${t(lang, msg.dashboardView.filter)}</button>
      <button type="submit" name="format" value="csv">${t(lang, msg.dashboardView.exportCsv)}</button>
    </form>
    <p id="summary">${t(lang, msg.dashboardView.ofCompleted(completed, o.rows.length))}</p>
    ${
      refused && o.resend
        ? html`<div class="refused" role="region" aria-label="${t(lang, msg.dashboardView.refusedGrades)}">
            <p>${t(lang, msg.dashboardView.theLmsRefusedGradeS(refused))}</p>
            ${resendButton(t(lang, msg.dashboardView.resendAllRefusedGrades), { resend: 'all' })}
          </div>`
        : ''
    }
    ${completionChart(lang, ProgressRepository.completionsByDay(o.rows))}
    ${o.insights ? lessonInsightsView(lang, o.insights, o.rows) : ''}
    <table id="learners">
      <caption class="visually-hidden">
        ${t(lang, msg.dashboardView.learners)}
      </caption>
      <thead>
        <tr>
          ${o.byCourse ? html`<th scope="col">${t(lang, msg.dashboardView.course)}</th>` : ''}
          <th scope="col">${t(lang, msg.dashboardView.lesson)}</th>
          <th scope="col">${t(lang, msg.dashboardView.learner)}</th>
          <th scope="col">${t(lang, msg.dashboardView.watched)}</th>
          <th scope="col">${t(lang, msg.dashboardView.questions)}</th>
          <th scope="col">${t(lang, msg.dashboardView.grade)}</th>
          <th scope="col">${t(lang, msg.dashboardView.state)}</th>
          <th scope="col">${t(lang, msg.dashboardView.completedAt)}</th>
          <th scope="col">${t(lang, msg.dashboardView.lastWatched)}</th>
          <th scope="col">${t(lang, msg.dashboardView.gradebook)}</th>
        </tr>
      </thead>
      <tbody>
        ${o.rows.map(
          (r) =>
            html`<tr data-user="${r.userId}" data-state="${r.state}" data-sync="${r.sync}">
              ${o.byCourse ? html`<td>${r.course}</td>` : ''}
              <td>${r.lessonTitle}</td>
              <td>${r.name}</td>
              <td>
                <meter min="0" max="100" value="${Math.round(r.coverage * 100)}"></meter>
                ${Math.round(r.coverage * 100)} %
              </td>
              <td>${r.questions ? `${r.questions.earned}/${r.questions.total}` : '—'}</td>
              <td data-grade="${Math.round(r.grade * 100)}">${Math.round(r.grade * 100)} %</td>
              <td>${t(lang, STATE_LABEL[r.state])}</td>
              <td>${r.completedAt?.toISOString().replace('T', ' ').slice(0, 16) ?? '—'}</td>
              <td>${r.lastWatchedAt?.toISOString().replace('T', ' ').slice(0, 16) ?? '—'}</td>
              <td>
                ${t(lang, r.sync === 'delivered' && r.state !== 'completed' ? SENT_NOT_GRADED : SYNC_LABEL[r.sync])}${r.syncError ? html` <small class="error">${r.syncError}</small>` : ''}
                ${resendable(r) ? resendButton(t(lang, msg.dashboardView.resend), { resend: 'one', resend_lesson: r.lessonId, resend_user: r.userId }) : ''}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

/** A grade the LMS refused can be sent again (a DingTalk notice has its own retries). */
const resendable = (r: LearnerProgress): boolean => r.sync === 'failed' && r.syncVia === 'grade';

/** Cumulative completions per day as an SVG line, with the same figures as a table for screen readers. */
function completionChart(lang: Lang, days: readonly { day: string; count: number }[]): SafeHtml {
  const title = t(lang, msg.dashboardView.completionsOverTime);
  if (!days.length) return html`<p>${t(lang, msg.dashboardView.noCompletionsYet)}</p>`;
  let total = 0;
  const points = days.map((d) => ({ ...d, total: (total += d.count) }));
  const [w, h, pad] = [600, 160, 24];
  const x = (i: number): number =>
    pad + (points.length === 1 ? (w - 2 * pad) / 2 : (i * (w - 2 * pad)) / (points.length - 1));
  const y = (v: number): number => h - pad - (v * (h - 2 * pad)) / total;
  const line = points.map((p, i) => `${x(i).toFixed(1)},${y(p.total).toFixed(1)}`).join(' ');
  return html`<figure>
    <figcaption>${title}</figcaption>
    <svg id="completion-chart" viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-labelledby="chart-title">
      <title id="chart-title">${title}</title>
      <line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="currentColor" />
      <polyline points="${line}" fill="none" stroke="#1565c0" stroke-width="2" />
      ${points.map((p, i) => html`<circle cx="${x(i).toFixed(1)}" cy="${y(p.total).toFixed(1)}" r="3" fill="#1565c0"><title>${p.day}: ${p.total}</title></circle>`)}
      <text x="${pad}" y="${h - 6}" font-size="11">${points[0]!.day}</text>
      <text x="${w - pad}" y="${h - 6}" font-size="11" text-anchor="end">
        ${points[points.length - 1]!.day}
      </text>
      <text x="${pad}" y="${pad - 8}" font-size="11">${total}</text>
    </svg>
    <table class="visually-hidden">
      <caption>
        ${title}
      </caption>
      <tr>
        <th scope="col">${t(lang, msg.dashboardView.day)}</th>
        <th scope="col">${t(lang, msg.dashboardView.completedTotal)}</th>
      </tr>
      ${points.map(
        (p) =>
          html`<tr>
            <td>${p.day}</td>
            <td>${p.total}</td>
          </tr>`,
      )}
    </table>
  </figure>`;
}

/**
 * A cell a spreadsheet could run as a formula: a formula lead (= + - @, or a tab or return) at its
 * start or just after any character a spreadsheet may split a line on (a comma, a semicolon in many
 * European and Chinese locales, a tab, a pipe), spaces between allowed. Such a cell gets a leading
 * apostrophe and is quoted, so it stays text under every separator.
 */
const FORMULA = /(^|[,;\t|])\s*[=+\-@\t\r]/;

/**
 * CSV (RFC 4180) of the rows; cells that a spreadsheet would run as a formula are made inert text.
 * With one lesson's insights, a column per question gives each learner's result on it.
 */
export function dashboardCsv(rows: readonly LearnerProgress[], insights?: LessonInsights): string {
  const cell = (v: unknown): string => {
    if (typeof v === 'number') return String(v);
    let s = String(v ?? '');
    if (FORMULA.test(s)) s = `'${s}`;
    return /[",;\t|\r\n']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const head = [
    'lesson_id',
    'lesson',
    'course',
    'course_id',
    'user_id',
    'name',
    'coverage_percent',
    'state',
    'completed_at',
    'last_watched_at',
    'gradebook',
    'gradebook_error',
    'question_points',
    'question_total',
    'grade_percent',
    ...(insights?.questions?.stats.map((_, k) => `question_${k + 1}`) ?? []),
  ];
  const lines = rows.map((r) =>
    [
      r.lessonId,
      r.lessonTitle,
      r.course,
      r.contextId,
      r.userId,
      r.name,
      Math.round(r.coverage * 1000) / 10,
      r.state,
      r.completedAt?.toISOString(),
      r.lastWatchedAt?.toISOString(),
      r.sync,
      r.syncError,
      r.questions?.earned,
      r.questions?.total,
      Math.round(r.grade * 1000) / 10,
      ...(insights?.questions?.stats.map((q) => {
        const res = insights.questions!.results.get(r.userId)?.get(q.key);
        return res ? `${res.correct ? 'right' : 'wrong'} (${res.attempts})` : '';
      }) ?? []),
    ]
      .map(cell)
      .join(','),
  );
  return `\uFEFF${[head.join(','), ...lines].join('\r\n')}\r\n`;
}

/** What the dashboard says after a resend of `n` refused grades. */
export const resentNotice = (lang: Lang, n: number): string =>
  n ? t(lang, msg.dashboardView.refusedGradeSSentAgain(n)) : t(lang, msg.dashboardView.noRefusedGradesToSend);

/** The dashboard's rows as a CSV download named `name` and today's date. */
export const sendCsv = (
  res: Response,
  name: string,
  rows: readonly LearnerProgress[],
  insights?: LessonInsights,
): void =>
  void res
    .type('text/csv; charset=utf-8')
    .attachment(`${name}-${new Date().toISOString().slice(0, 10)}.csv`)
    .send(dashboardCsv(rows, insights));
