import { DingTalkError, ERRCODE, type DingTalkApi } from '../../../adapters/dingtalk/dingtalk-api.js';
import type { DingTalkIdentity } from '../../../adapters/dingtalk/dingtalk-identity.js';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import type { MediaUrls } from '../media/media-urls.js';
import type { AssignmentStore, AssignmentSummary, AssignmentTarget } from './assignment-repository.js';
import type { Corp } from './corp-repository.js';
import type { NoticeDelivery } from './notice-delivery.js';
import { assignmentNotice, lessonPageUrl } from './notice-messages.js';
import type { NoticeOutbox } from './notice-outbox.js';

export interface AssignmentDeps {
  readonly store: AssignmentStore;
  readonly lessons: Pick<LessonRepository, 'inTenant'>;
  readonly api: Pick<DingTalkApi, 'departmentMembers'>;
  readonly outbox: Pick<NoticeOutbox, 'add'>;
  readonly delivery: Pick<NoticeDelivery, 'enqueue'>;
  readonly urls: Pick<MediaUrls, 'poster'>;
  readonly publicUrl: string;
}

export interface AssignRequest {
  readonly lessonId: string;
  readonly deptIds: readonly number[];
  readonly userids: readonly string[];
  /** The admin's DingTalk user id (their daily summary) or, for a tool admin, their user name. */
  readonly assignedBy: string;
}

/** A poster link in a notice stays valid this long: cards are read days later. */
const POSTER_TTL_SEC = 30 * 24 * 3600;

export class AssignError extends Error {}

interface PublishedLesson {
  readonly id: string;
  readonly title: string;
  readonly publishedRenderId: string;
}

/** How long address-book events may keep arriving before the department assignments are resolved. */
const REFRESH_SETTLE_MS = 500;

/**
 * Lessons assigned to DingTalk departments and people. Departments are resolved to people when
 * assigned (with their sub-departments), and each person gets one work notice per lesson however
 * often they are reached: the notices are written to the outbox in the assignment's transaction.
 */
export class Assignments {
  constructor(private readonly d: AssignmentDeps) {}

  async assign(corp: Corp, r: AssignRequest): Promise<{ assignees: number }> {
    const lesson = await this.publishedLesson(corp, r.lessonId);
    if (!r.deptIds.length && !r.userids.length) throw new AssignError('Choose a department or a person.');
    const targets: AssignmentTarget[] = [];
    for (const deptId of r.deptIds) {
      const members = await this.membersOf(corp, deptId);
      if (!members) throw new AssignError(`There is no department ${deptId} in this organisation.`);
      targets.push({ deptId, members });
    }
    for (const userid of r.userids) targets.push({ userid, members: [userid] });
    return { assignees: await this.reach(corp, lesson, targets, r.assignedBy) };
  }

  private readonly refreshes = new Map<string, { again: boolean }>();

  /**
   * A refresh soon: events come in bursts (an HR import moves hundreds of people), so one runs at a
   * time per organisation, and events during it make one more run after it, not one each.
   */
  refreshSoon(corp: Corp, onError: (e: Error) => void): void {
    const running = this.refreshes.get(corp.corpId);
    if (running) return void (running.again = true);
    const state = { again: false };
    this.refreshes.set(corp.corpId, state);
    void (async () => {
      do {
        // Events come in bursts (an HR import sends one per person): let the burst settle first, so
        // one re-resolution covers it, whatever each event's own handling takes.
        await new Promise((r) => setTimeout(r, REFRESH_SETTLE_MS));
        state.again = false;
        await this.refresh(corp);
      } while (state.again);
    })()
      .catch(onError)
      .finally(() => this.refreshes.delete(corp.corpId));
  }

  /**
   * Departments change (people join, move, departments are made): each assignment to a department
   * reaches its members now, and the new ones get their notice. DingTalk's events call this.
   */
  async refresh(corp: Corp): Promise<number> {
    let reached = 0;
    for (const r of await this.d.store.departmentAssignments(corp.corpId)) {
      const lesson = await this.publishedLesson(corp, r.lessonId).catch(() => undefined);
      if (!lesson) continue; // withdrawn since: nobody new is sent to it
      const members = await this.membersOf(corp, r.deptId);
      if (!members) continue; // the department was dissolved: its people were moved, and reached there
      reached += await this.reach(corp, lesson, [{ deptId: r.deptId, members }], r.assignedBy);
    }
    return reached;
  }

  /** A department's people with its sub-departments', or undefined when DingTalk has no such department. */
  private async membersOf(corp: Corp, deptId: number): Promise<readonly string[] | undefined> {
    try {
      return await this.d.api.departmentMembers(corp, deptId);
    } catch (e) {
      if (e instanceof DingTalkError && e.errcode === ERRCODE.noSuchDepartment) return undefined;
      throw e;
    }
  }

  private async publishedLesson(corp: Corp, lessonId: string): Promise<PublishedLesson> {
    const lesson = await this.d.lessons.inTenant(corp.tenantId, lessonId);
    if (!lesson) throw new AssignError('No such lesson in this organisation’s courses.');
    if (!lesson.publishedRenderId) throw new AssignError('This lesson is not published yet.');
    return { id: lesson.id, title: lesson.title, publishedRenderId: lesson.publishedRenderId };
  }

  /**
   * Records the assignment targets and the people they reach, and queues a notice for each person
   * reached for the first time, all in one transaction; answers how many were new.
   */
  private async reach(
    corp: Corp,
    lesson: PublishedLesson,
    targets: readonly AssignmentTarget[],
    assignedBy: string,
  ): Promise<number> {
    const notice = assignmentNotice({
      title: lesson.title,
      posterUrl: this.d.urls.poster(lesson.publishedRenderId, POSTER_TTL_SEC),
      pageUrl: lessonPageUrl(this.d.publicUrl, corp.corpId, lesson.id),
    });
    const { assignees, groups } = await this.d.store.record(
      corp.corpId,
      lesson.id,
      targets,
      assignedBy,
      async (tx, reached) => ({
        assignees: reached.length,
        groups: await this.d.outbox.add(
          reached.map((userid) => ({
            corpId: corp.corpId,
            kind: 'assignment' as const,
            dedupeKey: `assign:${corp.corpId}:${lesson.id}:${userid}`,
            userid,
            lessonId: lesson.id,
            notice,
          })),
          tx,
        ),
      }),
    );
    // Committed: send now. Were Redis away, the relay sends them from the outbox later.
    await this.d.delivery.enqueue(groups).catch(() => {});
    return assignees;
  }

  /** Whether a person may open a lesson: assigned by name, or in a department it was assigned to. */
  isAssigned(corpId: string, lessonId: string, who: DingTalkIdentity): Promise<boolean> {
    return this.d.store.isAssigned(corpId, lessonId, who);
  }

  /** The organisation's assignments with how far each got, for the admin page. */
  list(corpId: string): Promise<AssignmentSummary[]> {
    return this.d.store.list(corpId);
  }
}
