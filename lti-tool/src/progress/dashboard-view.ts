import type { Response } from 'express';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang } from '../web/i18n.js';
import {
  ProgressRepository,
  type LearnerProgress,
  type LearnerState,
  type ProgressFilter,
  type SyncState,
} from './progress-repository.js';

const STATE_LABEL: Record<LearnerState, { en: string; zh: string }> = {
  'not-started': { en: 'Not started', zh: '未开始' },
  'in-progress': { en: 'In progress', zh: '学习中' },
  completed: { en: 'Completed', zh: '已完成' },
};
/** Moodle keeps no grade for a Pending score (it shows one only from FullyGraded, at completion). */
const SENT_NOT_GRADED = {
  en: 'Sent (Moodle shows a grade once completed)',
  zh: '已发送（完成后 Moodle 才显示成绩）',
};
const SYNC_LABEL: Record<SyncState, { en: string; zh: string }> = {
  delivered: { en: 'Delivered', zh: '已同步' },
  pending: { en: 'Pending', zh: '待同步' },
  failed: { en: 'Failed', zh: '失败' },
  none: { en: '—', zh: '—' },
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
  return html`<h1>${t(lang, { en: 'Completion', zh: '完成情况' })}</h1>
    ${o.notice ? html`<p role="status" class="notice">${o.notice}</p>` : ''}
    <form
      method="${o.form.method}"
      action="${o.form.action}"
      class="filters"
      aria-label="${t(lang, { en: 'Filters', zh: '筛选' })}"
    >
      ${hidden}
      <label for="f-lesson">${t(lang, { en: 'Lesson', zh: '课程' })}</label>
      <select id="f-lesson" name="lesson">
        <option value="">${t(lang, { en: 'All lessons', zh: '全部课程' })}</option>
        ${o.lessons.map((l) => html`<option value="${l.id}" ${l.id === o.filter.lessonId ? html`selected` : ''}>${l.title}</option>`)}
      </select>
      <label for="f-state">${t(lang, { en: 'State', zh: '状态' })}</label>
      <select id="f-state" name="state">
        <option value="">${t(lang, { en: 'All', zh: '全部' })}</option>
        ${(Object.keys(STATE_LABEL) as LearnerState[]).map((s) => html`<option value="${s}" ${s === o.filter.state ? html`selected` : ''}>${t(lang, STATE_LABEL[s])}</option>`)}
      </select>
      <label for="f-sync">${t(lang, { en: 'Gradebook', zh: '成绩同步' })}</label>
      <select id="f-sync" name="sync">
        <option value="">${t(lang, { en: 'All', zh: '全部' })}</option>
        ${(['delivered', 'pending', 'failed'] as SyncState[]).map((s) => html`<option value="${s}" ${s === o.filter.sync ? html`selected` : ''}>${t(lang, SYNC_LABEL[s])}</option>`)}
      </select>
      <label for="f-search">${t(lang, { en: 'Learner', zh: '学员' })}</label>
      <input id="f-search" name="search" value="${o.filter.search ?? ''}" />
      <button type="submit">${t(lang, { en: 'Filter', zh: '筛选' })}</button>
      <button type="submit" name="format" value="csv">
        ${t(lang, { en: 'Export CSV', zh: '导出 CSV' })}
      </button>
    </form>
    <p id="summary">
      ${t(lang, { en: `${completed} of ${o.rows.length} completed.`, zh: `${o.rows.length} 人中 ${completed} 人已完成。` })}
    </p>
    ${
      refused && o.resend
        ? html`<div
            class="refused"
            role="region"
            aria-label="${t(lang, { en: 'Refused grades', zh: '被拒绝的成绩' })}"
          >
            <p>
              ${t(lang, {
                en: `The LMS refused ${refused} grade(s); each row says why. Once the cause is fixed, send them again.`,
                zh: `LMS 拒绝了 ${refused} 条成绩，每行注明了原因。原因解决后请重新发送。`,
              })}
            </p>
            ${resendButton(t(lang, { en: 'Resend all refused grades', zh: '重新发送全部被拒绝的成绩' }), { resend: 'all' })}
          </div>`
        : ''
    }
    ${completionChart(lang, ProgressRepository.completionsByDay(o.rows))}
    <table id="learners">
      <caption class="visually-hidden">
        ${t(lang, { en: 'Learners', zh: '学员' })}
      </caption>
      <thead>
        <tr>
          ${o.byCourse ? html`<th scope="col">${t(lang, { en: 'Course', zh: '所属课程' })}</th>` : ''}
          <th scope="col">${t(lang, { en: 'Lesson', zh: '课程' })}</th>
          <th scope="col">${t(lang, { en: 'Learner', zh: '学员' })}</th>
          <th scope="col">${t(lang, { en: 'Watched', zh: '观看进度' })}</th>
          <th scope="col">${t(lang, { en: 'State', zh: '状态' })}</th>
          <th scope="col">${t(lang, { en: 'Completed at', zh: '完成时间' })}</th>
          <th scope="col">${t(lang, { en: 'Last watched', zh: '最近观看' })}</th>
          <th scope="col">${t(lang, { en: 'Gradebook', zh: '成绩同步' })}</th>
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
              <td>${t(lang, STATE_LABEL[r.state])}</td>
              <td>${r.completedAt?.toISOString().replace('T', ' ').slice(0, 16) ?? '—'}</td>
              <td>${r.lastWatchedAt?.toISOString().replace('T', ' ').slice(0, 16) ?? '—'}</td>
              <td>
                ${t(lang, r.sync === 'delivered' && r.state !== 'completed' ? SENT_NOT_GRADED : SYNC_LABEL[r.sync])}${r.syncError ? html` <small class="error">${r.syncError}</small>` : ''}
                ${resendable(r) ? resendButton(t(lang, { en: 'Resend', zh: '重新发送' }), { resend: 'one', resend_lesson: r.lessonId, resend_user: r.userId }) : ''}
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
  const title = t(lang, { en: 'Completions over time', zh: '完成人数随时间变化' });
  if (!days.length) return html`<p>${t(lang, { en: 'No completions yet.', zh: '尚无人完成。' })}</p>`;
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
        <th scope="col">${t(lang, { en: 'Day', zh: '日期' })}</th>
        <th scope="col">${t(lang, { en: 'Completed (total)', zh: '累计完成' })}</th>
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

/** CSV (RFC 4180) of the rows; cells that a spreadsheet would run as a formula are made inert text. */
export function dashboardCsv(rows: readonly LearnerProgress[]): string {
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
    ]
      .map(cell)
      .join(','),
  );
  return `\uFEFF${[head.join(','), ...lines].join('\r\n')}\r\n`;
}

/** What the dashboard says after a resend of `n` refused grades. */
export const resentNotice = (lang: Lang, n: number): string =>
  n
    ? t(lang, {
        en: `${n} refused grade(s) sent again; the Gradebook column shows how the LMS answers.`,
        zh: `已重新发送 ${n} 条被拒绝的成绩；“成绩同步”一栏会显示 LMS 的答复。`,
      })
    : t(lang, { en: 'No refused grades to send.', zh: '没有被拒绝的成绩需要发送。' });

/** The dashboard's rows as a CSV download named `name` and today's date. */
export const sendCsv = (res: Response, name: string, rows: readonly LearnerProgress[]): void =>
  void res
    .type('text/csv; charset=utf-8')
    .attachment(`${name}-${new Date().toISOString().slice(0, 10)}.csv`)
    .send(dashboardCsv(rows));
