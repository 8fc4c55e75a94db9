import { Router, type RequestHandler } from 'express';
import type { JobRegistry, QueueDepth } from '../jobs/job-registry.js';
import { JOB_STATES } from '../jobs/job-registry.js';
import { QUEUES } from '../jobs/queues.js';
import { dataTable } from '../web/data-table.js';
import { html } from '../web/html.js';
import { langOf, t, type Bilingual } from '../web/i18n.js';
import { adminPage } from './admin-page.js';
import { msg } from '../messages/messages.js';

const STATE_LABEL: Record<(typeof JOB_STATES)[number], Bilingual> = {
  waiting: msg.backgroundAdmin.waiting,
  active: msg.backgroundAdmin.active,
  delayed: msg.backgroundAdmin.delayed,
  failed: msg.backgroundAdmin.failed,
  completed: msg.backgroundAdmin.completedKept,
};

/**
 * /admin/background: what runs in the background and where it fails, in one place: every queue of
 * jobs/queues.ts with its jobs by state, and the outbox rows behind it (work PostgreSQL holds that a
 * lost queue would not show). Bull Board (/admin/queues) has the jobs themselves.
 */
export function backgroundAdmin(d: { jobs: JobRegistry }, toolAdmin: RequestHandler): Router {
  const router = Router();
  router.get('/admin/background', toolAdmin, async (req, res) => {
    const lang = langOf(req);
    const depths: QueueDepth[] = await d.jobs.depths();
    const heading = t(lang, msg.backgroundAdmin.backgroundWork);
    res.type('html').send(
      adminPage(
        lang,
        { current: '/admin/background', heading },
        html`<p>
            ${t(lang, msg.backgroundAdmin.everyQueueItsJobsBy)}
            <a href="/admin/queues/">Bull Board</a>.
          </p>
          ${dataTable<QueueDepth>({
            id: 'queues',
            caption: heading,
            rows: depths,
            rowData: (q) => ({ queue: q.name }),
            columns: [
              {
                header: t(lang, msg.backgroundAdmin.queue),
                rowHeader: true,
                cell: (q) =>
                  html`<code>${q.name}</code><br /><small>${t(lang, QUEUES[q.name].about)}</small>`,
              },
              ...JOB_STATES.map((s) => ({
                header: t(lang, STATE_LABEL[s]),
                cell: (q: QueueDepth) =>
                  html`<span data-state="${s}" class="${s === 'failed' && q.jobs[s] ? 'error' : ''}"
                    >${q.jobs[s]}</span
                  >`,
              })),
              {
                header: t(lang, msg.backgroundAdmin.outbox),
                cell: (q) =>
                  q.backlog
                    ? html`${Object.entries(q.backlog).map(([status, n]) => html`<span data-backlog="${status}">${status}: ${n}</span> `)}`
                    : '—',
              },
            ],
          })}`,
      ),
    );
  });
  return router;
}
