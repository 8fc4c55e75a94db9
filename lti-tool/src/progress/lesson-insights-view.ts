import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang } from '../web/i18n.js';
import { msg } from '../messages/messages.js';
import type { Engagement, LearnerProgress } from './progress-repository.js';
import type { LessonInsights } from './lesson-insights.js';

const clock = (sec: number): string =>
  `${Math.floor(sec / 60)}:${String(Math.floor(sec % 60)).padStart(2, '0')}`;
const percent = (share: number): string => `${Math.round(share * 100)} %`;
/** Rows the screen-reader table of the chart has at most: the seconds are summed into this many spans. */
const TABLE_ROWS = 30;

/** A lesson's engagement, its question statistics and its learners' answers, for the dashboard. */
export function lessonInsightsView(
  lang: Lang,
  i: LessonInsights,
  rows: readonly LearnerProgress[],
): SafeHtml {
  return html`${engagementChart(lang, i.engagement)}
  ${i.questions ? questionTable(lang, i.questions.stats) : ''}
  ${i.questions ? answersTable(lang, i, rows) : ''}`;
}

/**
 * Who watched each second (a filled area) and who watched it again (a line), as an SVG; the same
 * figures, in spans of the lesson, as a table for screen readers.
 */
function engagementChart(lang: Lang, e: Engagement): SafeHtml {
  const title = t(lang, msg.lessonInsightsView.engagement);
  if (!e.learners || !e.audience.length)
    return html`<section aria-labelledby="engagement-h">
      <h2 id="engagement-h">${title}</h2>
      <p>${t(lang, msg.lessonInsightsView.noWatchingYet)}</p>
    </section>`;
  const [w, h, pad] = [600, 160, 24];
  const n = e.audience.length;
  const top = Math.max(1, ...e.audience);
  const x = (i: number): number => pad + ((i + 0.5) * (w - 2 * pad)) / n;
  const y = (v: number): number => h - pad - (v * (h - 2 * pad)) / top;
  const line = (values: readonly number[]): string =>
    values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const area = `${x(0).toFixed(1)},${y(0)} ${line(e.audience)} ${x(n - 1).toFixed(1)},${y(0)}`;
  const span = Math.max(1, Math.ceil(n / TABLE_ROWS));
  const spans = Array.from({ length: Math.ceil(n / span) }, (_, k) => {
    const from = k * span;
    const part = (values: readonly number[]) => Math.max(...values.slice(from, from + span));
    return { from, to: Math.min(n, from + span), audience: part(e.audience), rewatched: part(e.rewatched) };
  });
  return html`<section aria-labelledby="engagement-h">
    <h2 id="engagement-h">${title}</h2>
    <p>${t(lang, msg.lessonInsightsView.engagementSummary(e.learners))}</p>
    <svg
      id="engagement-chart"
      viewBox="0 0 ${w} ${h}"
      width="100%"
      role="img"
      aria-labelledby="engagement-title"
    >
      <title id="engagement-title">${title}</title>
      <line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="currentColor" />
      <polygon points="${area}" fill="#90caf9" stroke="#1565c0" />
      <polyline points="${line(e.rewatched)}" fill="none" stroke="#c62828" stroke-width="2" />
      <text x="${pad}" y="${h - 6}" font-size="11">0:00</text>
      <text x="${w - pad}" y="${h - 6}" font-size="11" text-anchor="end">${clock(e.durationSec)}</text>
      <text x="${pad}" y="${pad - 8}" font-size="11">${top}</text>
    </svg>
    <table id="engagement" class="visually-hidden">
      <caption>
        ${title}
      </caption>
      <tr>
        <th scope="col">${t(lang, msg.lessonInsightsView.time)}</th>
        <th scope="col">${t(lang, msg.lessonInsightsView.audience)}</th>
        <th scope="col">${t(lang, msg.lessonInsightsView.rewatched)}</th>
      </tr>
      ${spans.map(
        (s) =>
          html`<tr data-from="${s.from}">
            <td>${clock(s.from)}–${clock(s.to)}</td>
            <td>${s.audience}</td>
            <td>${s.rewatched}</td>
          </tr>`,
      )}
    </table>
  </section>`;
}

function questionTable(lang: Lang, stats: NonNullable<LessonInsights['questions']>['stats']): SafeHtml {
  return html`<table id="question-stats">
    <caption>
      ${t(lang, msg.lessonInsightsView.questionStatistics)}
    </caption>
    <thead>
      <tr>
        <th scope="col">${t(lang, msg.lessonInsightsView.question)}</th>
        <th scope="col">${t(lang, msg.lessonInsightsView.at)}</th>
        <th scope="col">${t(lang, msg.lessonInsightsView.answered)}</th>
        <th scope="col">${t(lang, msg.lessonInsightsView.rightFirstTime)}</th>
        <th scope="col">${t(lang, msg.lessonInsightsView.rightInTheEnd)}</th>
        <th scope="col">${t(lang, msg.lessonInsightsView.commonWrong)}</th>
        <th scope="col">${t(lang, msg.lessonInsightsView.medianTime)}</th>
      </tr>
    </thead>
    <tbody>
      ${stats.map(
        (s) =>
          html`<tr data-question="${s.key}">
            <th scope="row">${s.prompt}</th>
            <td>${clock(s.at)}</td>
            <td>${s.learners}</td>
            <td>${s.learners ? percent(s.rightFirstTime) : '—'}</td>
            <td>${s.learners ? percent(s.rightInTheEnd) : '—'}</td>
            <td>${s.commonWrong ? `${s.commonWrong.answer} (${s.commonWrong.count})` : '—'}</td>
            <td>
              ${s.medianSeconds === undefined ? '—' : t(lang, msg.lessonInsightsView.seconds(Math.round(s.medianSeconds * 10) / 10))}
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** Each learner's result on each question. */
function answersTable(lang: Lang, i: LessonInsights, rows: readonly LearnerProgress[]): SafeHtml {
  const { stats, results } = i.questions!;
  return html`<table id="answers">
    <caption>
      ${t(lang, msg.lessonInsightsView.answers)}
    </caption>
    <thead>
      <tr>
        <th scope="col">${t(lang, msg.lessonInsightsView.learner)}</th>
        ${stats.map((s, k) => html`<th scope="col" title="${s.prompt}">${k + 1}. ${s.prompt}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (r) =>
          html`<tr data-user="${r.userId}">
            <th scope="row">${r.name}</th>
            ${stats.map((s) => {
              const res = results.get(r.userId)?.get(s.key);
              return html`<td data-result="${res ? (res.correct ? 'right' : 'wrong') : 'none'}">
                ${res ? t(lang, res.correct ? msg.lessonInsightsView.right(res.attempts) : msg.lessonInsightsView.wrong(res.attempts)) : t(lang, msg.lessonInsightsView.notAnswered)}
              </td>`;
            })}
          </tr>`,
      )}
    </tbody>
  </table>`;
}
