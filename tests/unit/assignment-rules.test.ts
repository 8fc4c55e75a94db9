import { DingTalkError } from '../../adapters/dingtalk/dingtalk-api.js';
import type { Queryable } from '../../lti-tool/src/db/database.js';
import { AssignError, Assignments } from '../../lti-tool/src/dingtalk/assignments.js';
import type { Corp } from '../../lti-tool/src/dingtalk/corp-repository.js';
import type { DueNotice, NoticeGroup } from '../../lti-tool/src/dingtalk/notice-outbox.js';
import type { LessonSummary } from '../../lti-tool/src/lessons/lesson-repository.js';
import { MemoryAssignments } from '../helpers/memory-assignments.js';

/**
 * The assignment rules alone, in milliseconds, on in-memory tables: who is reached, who gets a
 * notice, and what is refused. The DingTalk integration suite runs the same rules on PostgreSQL
 * against the DingTalk simulator.
 */
const corp = { corpId: 'ding1', tenantId: 't1', name: 'Acme', adminUserids: [] } as unknown as Corp;
const lessons = new Map<string, LessonSummary>([
  ['L1', { id: 'L1', title: 'Fire safety', contextId: 'c', publishedRenderId: 'r1' }],
  ['draft', { id: 'draft', title: 'Not yet', contextId: 'c' }],
]);

function setup(departments: Record<number, string[]>) {
  const store = new MemoryAssignments();
  const added: { due: readonly DueNotice[]; tx: Queryable | undefined }[] = [];
  const enqueued: NoticeGroup[] = [];
  const assignments = new Assignments({
    store,
    lessons: { inTenant: async (tenantId, id) => (tenantId === 't1' ? lessons.get(id) : undefined) },
    api: {
      departmentMembers: async (_app, deptId) => {
        const members = departments[deptId];
        if (!members) throw new DingTalkError(60003, '部门不存在', 400);
        return members;
      },
    },
    outbox: {
      add: async (due, tx) => {
        added.push({ due, tx });
        return due.length ? [{ corpId: corp.corpId, messageKey: 'm' }] : [];
      },
    },
    delivery: { enqueue: async (g) => void enqueued.push(...g) },
    urls: { poster: (renderId) => `https://tool.example/poster/${renderId}` },
    publicUrl: 'https://tool.example',
  });
  const noticed = () => added.flatMap((a) => a.due.map((d) => d.userid)).sort();
  return { store, assignments, added, enqueued, noticed, departments };
}

describe('assigning a lesson', () => {
  it('reaches a department and named people; each person gets one notice however often reached', async () => {
    const s = setup({ 10: ['ann', 'bob'], 11: ['bob', 'cy'] });
    const r = await s.assignments.assign(corp, {
      lessonId: 'L1',
      deptIds: [10, 11],
      userids: ['ann', 'dee'],
      assignedBy: 'boss',
    });
    expect(r.assignees).toBe(4);
    expect(s.noticed()).toEqual(['ann', 'bob', 'cy', 'dee']);
    const [first] = s.added[0]!.due;
    expect(first).toMatchObject({ kind: 'assignment', lessonId: 'L1', dedupeKey: 'assign:ding1:L1:ann' });
    expect(first!.notice.markdown).toContain('https://tool.example/poster/r1');
  });

  it('writes the notices in the assignment’s own transaction, then sends them', async () => {
    const s = setup({ 10: ['ann'] });
    await s.assignments.assign(corp, { lessonId: 'L1', deptIds: [10], userids: [], assignedBy: 'boss' });
    expect(s.added[0]!.tx).toBe(MemoryAssignments.tx);
    expect(s.enqueued).toHaveLength(1);
  });

  it('assigning again notifies nobody twice', async () => {
    const s = setup({ 10: ['ann', 'bob'] });
    const req = { lessonId: 'L1', deptIds: [10], userids: ['bob'], assignedBy: 'boss' };
    await s.assignments.assign(corp, req);
    const again = await s.assignments.assign(corp, req);
    expect(again.assignees).toBe(0);
    expect(s.noticed()).toEqual(['ann', 'bob']);
  });

  it('refuses a lesson that is not published, not the tenant’s, or no target', async () => {
    const s = setup({});
    const req = { deptIds: [], userids: ['ann'], assignedBy: 'boss' };
    await expect(s.assignments.assign(corp, { ...req, lessonId: 'draft' })).rejects.toThrow(
      new AssignError('This lesson is not published yet.'),
    );
    await expect(
      s.assignments.assign({ ...corp, tenantId: 't2' }, { ...req, lessonId: 'L1' }),
    ).rejects.toThrow(AssignError);
    await expect(s.assignments.assign(corp, { ...req, userids: [], lessonId: 'L1' })).rejects.toThrow(
      'Choose a department or a person.',
    );
    expect(s.added).toEqual([]);
  });
});

describe('the address book changes', () => {
  it('a refresh reaches only the department’s new members', async () => {
    const s = setup({ 10: ['ann'] });
    await s.assignments.assign(corp, { lessonId: 'L1', deptIds: [10], userids: [], assignedBy: 'boss' });
    s.departments[10] = ['ann', 'eve'];
    expect(await s.assignments.refresh(corp)).toBe(1);
    expect(s.noticed()).toEqual(['ann', 'eve']);
    expect(await s.assignments.refresh(corp)).toBe(0);
  });

  it('a withdrawn lesson reaches nobody new', async () => {
    const s = setup({ 10: ['ann'] });
    await s.assignments.assign(corp, { lessonId: 'L1', deptIds: [10], userids: [], assignedBy: 'boss' });
    lessons.set('L1', { ...lessons.get('L1')!, publishedRenderId: undefined });
    try {
      s.departments[10] = ['ann', 'eve'];
      expect(await s.assignments.refresh(corp)).toBe(0);
    } finally {
      lessons.set('L1', { ...lessons.get('L1')!, publishedRenderId: 'r1' });
    }
  });
});

describe('departments DingTalk no longer has (60003)', () => {
  it('are refused when assigned, and skipped by a refresh', async () => {
    const s = setup({ 10: ['ann'], 11: ['bob'] });
    await expect(
      s.assignments.assign(corp, { lessonId: 'L1', deptIds: [99], userids: [], assignedBy: 'boss' }),
    ).rejects.toThrow(new AssignError('There is no department 99 in this organisation.'));
    await s.assignments.assign(corp, { lessonId: 'L1', deptIds: [10, 11], userids: [], assignedBy: 'boss' });
    delete s.departments[10];
    s.departments[11] = ['bob', 'cy'];
    expect(await s.assignments.refresh(corp)).toBe(1);
    expect(s.noticed()).toEqual(['ann', 'bob', 'cy']);
  });
});

describe('who may open a lesson', () => {
  it('a person assigned by name, or a member of an assigned department, and nobody else', async () => {
    const s = setup({ 10: ['ann'] });
    await s.assignments.assign(corp, { lessonId: 'L1', deptIds: [10], userids: ['bob'], assignedBy: 'boss' });
    const who = (userid: string, deptIds: number[]) => ({ corpId: 'ding1', userid, name: userid, deptIds });
    expect(await s.assignments.isAssigned('ding1', 'L1', who('bob', []))).toBe(true);
    // Joined department 10 after the assignment, before any refresh: the department grants it.
    expect(await s.assignments.isAssigned('ding1', 'L1', who('new', [10]))).toBe(true);
    expect(await s.assignments.isAssigned('ding1', 'L1', who('zed', [99]))).toBe(false);
    expect(await s.assignments.isAssigned('ding2', 'L1', who('bob', []))).toBe(false);
  });
});
