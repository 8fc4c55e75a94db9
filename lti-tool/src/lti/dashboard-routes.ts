import express, { Router } from 'express';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import { sendLtiError } from './error-page.js';
import type { LtiSessions } from './lti-sessions.js';
import { allowPlatform } from './platform-framing.js';
import { html } from '../web/html.js';
import { langOf, t } from '../web/i18n.js';
import { page } from '../web/page.js';
import { filterOf, resendOf } from '../progress/dashboard-filter.js';
import type { GradeResender } from '../grades/grade-delivery.js';
import { dashboardView, resentNotice, sendCsv } from '../progress/dashboard-view.js';
import type { ProgressRepository } from '../progress/progress-repository.js';
import type { LessonInsightsService } from '../progress/lesson-insights.js';
import type { RosterService } from '../progress/roster-service.js';
import { msg } from '../messages/messages.js';
import { z } from 'zod';
import type { TutorReview } from '../tutor/tutor-review.js';
import { tutorReviewView } from '../tutor/tutor-review-view.js';

export interface DashboardRoutesDeps {
  readonly sessions: LtiSessions;
  readonly progress: ProgressRepository;
  readonly roster: RosterService;
  readonly lessons: LessonRepository;
  readonly grades: GradeResender;
  readonly insights: LessonInsightsService;
  /** The lesson's tutor: what learners asked, pins, the switch. */
  readonly tutor: Pick<TutorReview, 'of' | 'pin' | 'unpin' | 'setEnabled'>;
}

/** The dashboard's tutor actions (each form carries one). */
const TutorActionSchema = z.union([
  z.object({ tutor_enabled: z.enum(['on', 'off']) }),
  z.object({ tutor_pin_question: z.uuid(), tutor_pin_answer: z.string().trim().min(1).max(1000) }),
  z.object({ tutor_unpin: z.uuid() }),
]);

/**
 * The instructor's dashboard of a course, opened from the activity. Like the studio, the launch
 * session's token comes in the posted form (never a cookie), so no other site can open it for them.
 */
export function dashboardRoutes(d: DashboardRoutesDeps): Router {
  const router = Router();
  router.post('/lti/dashboard', express.urlencoded({ extended: false, limit: '32kb' }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string>;
    const session = await d.sessions.get(String(body.session ?? ''));
    if (!session) return sendLtiError(req, res, 'SESSION_EXPIRED', 'dashboard without a live session');
    if (session.role !== 'instructor')
      return sendLtiError(req, res, 'LEARNER_NOT_ALLOWED', 'a learner asked for the dashboard');
    const lang = (session.launch.locale ?? '').startsWith('zh') ? 'zh' : langOf(req);
    const { filter, csv } = filterOf(body);
    let notice: string | undefined;
    // "Resend": this course's refused grades, or one learner's, go back on the queue.
    const resend = resendOf(body);
    if (resend) {
      const n = await d.grades.resend(
        { tenantId: session.tenantId, contextId: session.contextId, ...resend },
        `instructor ${session.userId}`,
      );
      notice = resentNotice(lang, n);
    }
    // The tutor's levers, on the lesson in view.
    const tutorAction = TutorActionSchema.safeParse(body);
    if (tutorAction.success && filter.lessonId) {
      const a = tutorAction.data;
      if ('tutor_enabled' in a) {
        await d.tutor.setEnabled(session, filter.lessonId, a.tutor_enabled === 'on');
        notice = t(lang, msg.tutorReviewView.switchedNotice(a.tutor_enabled === 'on'));
      } else if ('tutor_pin_question' in a) {
        await d.tutor.pin(session, filter.lessonId, a.tutor_pin_question, a.tutor_pin_answer);
        notice = t(lang, msg.tutorReviewView.pinnedNotice);
      } else if (await d.tutor.unpin(session, filter.lessonId, a.tutor_unpin))
        notice = t(lang, msg.tutorReviewView.unpinnedNotice);
    }
    try {
      await d.roster.refresh(session);
    } catch (e) {
      notice = [notice, t(lang, msg.dashboardRoutes.theCourseRosterCouldNot((e as Error).message))]
        .filter(Boolean)
        .join(' ');
    }
    const rows = await d.progress.list({
      ...filter,
      tenantId: session.tenantId,
      contextId: session.contextId,
    });
    const lessons = await d.progress.lessons(session.tenantId, session.contextId);
    // One of the course's lessons in view: its engagement and questions too.
    const insights =
      filter.lessonId && lessons.some((l) => l.id === filter.lessonId)
        ? await d.insights.of(session.tenantId, session.contextId, filter.lessonId)
        : undefined;
    if (csv) return sendCsv(res, 'completion', rows, insights);
    const tutor = insights && filter.lessonId ? await d.tutor.of(session, filter.lessonId) : undefined;
    allowPlatform(res, session.launch.issuer, { formPost: true });
    res.type('html').send(
      page(
        lang,
        t(lang, msg.dashboardRoutes.completion),
        html`<main>
          ${dashboardView(lang, {
            rows,
            lessons,
            filter,
            notice,
            form: { action: '/lti/dashboard', method: 'post', hidden: { session: String(body.session) } },
            resend: { action: '/lti/dashboard', hidden: { session: String(body.session) } },
            insights,
          })}
          ${
            tutor && filter.lessonId
              ? tutorReviewView(lang, tutor, {
                  action: '/lti/dashboard',
                  session: String(body.session),
                  lessonId: filter.lessonId,
                })
              : ''
          }
        </main>`,
      ),
    );
  });
  return router;
}
