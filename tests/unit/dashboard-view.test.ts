import { dashboardView } from '../../lti-tool/src/progress/dashboard-view.js';
import type { LearnerProgress } from '../../lti-tool/src/progress/progress-repository.js';

/**
 * Moodle stores no grade for a score still Pending (it shows one only from FullyGraded, at
 * completion): a learner part-way through whose score reached the LMS is "sent", not "delivered".
 */
const row = (userId: string, state: LearnerProgress['state']): LearnerProgress => ({
  lessonId: 'l1',
  lessonTitle: 'Fire safety',
  contextId: '101',
  course: 'Warehouse safety',
  userId,
  name: `Learner ${userId}`,
  coverage: state === 'completed' ? 1 : 0.3,
  state,
  sync: 'delivered',
  syncAttempts: 1,
});

describe('the dashboard’s gradebook column', () => {
  const view = (lang: 'en' | 'zh'): string =>
    String(
      dashboardView(lang, {
        rows: [row('1', 'in-progress'), row('2', 'completed')],
        lessons: [{ id: 'l1', title: 'Fire safety' }],
        filter: {},
        form: { action: '/lti/dashboard', method: 'post', hidden: {} },
      }),
    );

  it('says a part-way score was sent, and that Moodle shows a grade once completed', () => {
    expect(view('en')).toMatch(/data-user="1"[\s\S]*?Sent \(Moodle shows a grade once completed\)/);
    expect(view('en')).toMatch(/data-user="2"[\s\S]*?Delivered/);
    expect(view('zh')).toContain('已发送（完成后 Moodle 才显示成绩）');
  });
});
