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
  grade: state === 'completed' ? 1 : 0.3,
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

describe('the dashboard’s course column and resend buttons', () => {
  const refused: LearnerProgress = {
    ...row('3', 'completed'),
    sync: 'failed',
    syncVia: 'grade',
    syncError: 'token endpoint /token answered 404',
  };
  const notice: LearnerProgress = { ...row('4', 'completed'), sync: 'failed', syncVia: 'notice' };
  const view = (o: { byCourse?: boolean; resend?: boolean }): string =>
    String(
      dashboardView('en', {
        rows: [row('1', 'completed'), refused, notice],
        lessons: [{ id: 'l1', title: 'Fire safety' }],
        filter: {},
        form: { action: '/admin/progress', method: 'get', hidden: { tenant: 't1' } },
        byCourse: o.byCourse,
        resend: o.resend ? { action: '/admin/progress/resend', hidden: { tenant: 't1' } } : undefined,
      }),
    );
  const rowOf = (html: string, user: string): string =>
    new RegExp(`<tr data-user="${user}"[\\s\\S]*?</tr>`).exec(html)![0];

  it('names each row’s course in a tenant-wide view only', () => {
    expect(view({ byCourse: true })).toMatch(/<th scope="col">Course<\/th>/);
    expect(rowOf(view({ byCourse: true }), '1')).toContain('<td>Warehouse safety</td>');
    expect(view({})).not.toContain('>Course<');
  });

  it('offers Resend on refused grades only (a DingTalk notice retries by itself), and Resend all', () => {
    const html = view({ resend: true });
    expect(rowOf(html, '3')).toMatch(/name="resend_user" value="3"[\s\S]*?Resend/);
    expect(rowOf(html, '3')).toContain('name="tenant" value="t1"');
    expect(rowOf(html, '4')).not.toContain('Resend');
    expect(rowOf(html, '1')).not.toContain('Resend');
    expect(html).toMatch(/The LMS refused 1 grade\(s\)[\s\S]*?name="resend" value="all"/);
    // Without a resend form (a view that may not resend) there is no button at all.
    expect(view({})).not.toContain('Resend');
  });
});
