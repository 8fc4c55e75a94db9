import type { GradeKey } from '../grades/grade-key.js';
import type { CompletionRepository } from './completion-repository.js';
import type { NoticeDelivery } from './notice-delivery.js';
import { completionNotice, lessonPageUrl, summaryNotices } from './notice-messages.js';
import type { DueNotice, NoticeOutbox } from './notice-outbox.js';
import type { ApiUsage } from './api-usage.js';

export interface CompletionReportsDeps {
  readonly completions: CompletionRepository;
  readonly outbox: NoticeOutbox;
  readonly delivery: NoticeDelivery;
  /** Few calls left this month: a learner's completion goes into the admin's summary instead. */
  readonly usage: ApiUsage;
  readonly publicUrl: string;
  /** The organisations' time zone: a summary covers one calendar day there. */
  readonly timeZone: string;
}

/**
 * Completion back to DingTalk: a notice to each DingTalk learner who completes a lesson (while the
 * organisation's monthly calls are not scarce), and each morning a summary of the day before to every
 * admin who assigned lessons that were completed.
 * Each is keyed by what it reports, so it is sent once whether the ingest's signal, the sweep that
 * catches a missed signal, or both find it.
 */
export class CompletionReports {
  constructor(private readonly d: CompletionReportsDeps) {}

  /** Completion notices for these learners (all DingTalk learners' unreported completions if none given). */
  async report(keys?: readonly GradeKey[]): Promise<number> {
    const dt = keys?.filter((k) => k.userId.startsWith('dt:'));
    if (dt && !dt.length) return 0;
    const rows = await this.d.completions.unreported(dt);
    const tight = new Map<string, boolean>();
    for (const corpId of new Set(rows.map((r) => r.corpId)))
      tight.set(corpId, (await this.d.usage.of(corpId)).tight);
    const due: DueNotice[] = rows.map((r) => ({
      corpId: r.corpId,
      kind: 'completion',
      dedupeKey: `done:${r.corpId}:${r.lessonId}:${r.userid}`,
      userid: r.userid,
      lessonId: r.lessonId,
      notice: completionNotice({
        title: r.title,
        pageUrl: lessonPageUrl(this.d.publicUrl, r.corpId, r.lessonId),
        score: r.score,
      }),
      // The month's calls are scarce: the admin's daily summary reports it, the learner is not sent one.
      ...(tight.get(r.corpId) && { summarized: true }),
    }));
    return (await this.queue(due)) ? due.length : 0;
  }

  /** The calendar day before `now` in the organisations' time zone, as YYYY-MM-DD. */
  yesterday(now = new Date()): string {
    return new Intl.DateTimeFormat('en-CA', { timeZone: this.d.timeZone }).format(
      new Date(now.getTime() - 86_400_000),
    );
  }

  /** Summaries of `day`'s completions to the admins who assigned those lessons (once per admin and day). */
  async summarize(day: string): Promise<number> {
    const rows = await this.d.completions.byAssigner(day, this.d.timeZone);
    const dashboard = `${this.d.publicUrl.replace(/\/+$/, '')}/admin/progress`;
    const due: DueNotice[] = rows.flatMap((r) =>
      summaryNotices(day, r.done, `${dashboard}?${new URLSearchParams({ corp: r.corpId })}`).map(
        (notice, part) => ({
          corpId: r.corpId,
          kind: 'summary' as const,
          dedupeKey: `summary:${r.corpId}:${r.assignedBy}:${day}${part ? `:${part + 1}` : ''}`,
          userid: r.assignedBy,
          notice,
        }),
      ),
    );
    return this.queue(due);
  }

  /** Into the outbox (what was due already adds nothing), then sent now; answers the new groups. */
  private async queue(due: readonly DueNotice[]): Promise<number> {
    const groups = await this.d.outbox.add(due);
    // Were Redis away, the relay sends them from the outbox later.
    await this.d.delivery.enqueue(groups).catch(() => {});
    return groups.length;
  }
}
