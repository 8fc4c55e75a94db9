import type { DingTalkIdentity } from '../../adapters/dingtalk/dingtalk-identity.js';
import type { Queryable } from '../../lti-tool/src/db/database.js';
import type {
  AssignmentStore,
  AssignmentSummary,
  AssignmentTarget,
  DepartmentAssignment,
} from '../../lti-tool/src/dingtalk/assignment-repository.js';

/**
 * The assignment tables in memory, keyed as their unique indexes are (an assignment per lesson and
 * department or person; an assignee per lesson and person), for the rules' fast tests. The
 * PostgreSQL repository is checked against the same rules by the DingTalk integration suite.
 */
export class MemoryAssignments implements AssignmentStore {
  readonly assignments = new Map<
    string,
    { lessonId: string; deptId?: number; userid?: string; assignedBy: string }
  >();
  readonly assignees = new Set<string>();
  /** A transaction's stand-in: what `record` hands to its callback. */
  static readonly tx = {} as Queryable;

  async record<T>(
    corpId: string,
    lessonId: string,
    targets: readonly AssignmentTarget[],
    assignedBy: string,
    then: (tx: Queryable, reached: readonly string[]) => Promise<T>,
  ): Promise<T> {
    const reached: string[] = [];
    for (const t of targets) {
      const key = [corpId, lessonId, t.deptId !== undefined ? `d:${t.deptId}` : `u:${t.userid}`].join('\n');
      this.assignments.set(key, { lessonId, deptId: t.deptId, userid: t.userid, assignedBy });
      for (const u of t.members) {
        const k = [corpId, lessonId, u].join('\n');
        if (this.assignees.has(k)) continue;
        this.assignees.add(k);
        reached.push(u);
      }
    }
    return then(MemoryAssignments.tx, reached);
  }

  async departmentAssignments(corpId: string): Promise<DepartmentAssignment[]> {
    return [...this.assignments]
      .filter(([k, a]) => k.startsWith(`${corpId}\n`) && a.deptId !== undefined)
      .map(([, a]) => ({ lessonId: a.lessonId, deptId: a.deptId!, assignedBy: a.assignedBy }));
  }

  async isAssigned(
    corpId: string,
    lessonId: string,
    who: Pick<DingTalkIdentity, 'userid' | 'deptIds'>,
  ): Promise<boolean> {
    if (this.assignees.has([corpId, lessonId, who.userid].join('\n'))) return true;
    return who.deptIds.some((d) => this.assignments.has([corpId, lessonId, `d:${d}`].join('\n')));
  }

  async list(): Promise<AssignmentSummary[]> {
    throw new Error('the admin summary is read by SQL only: see the DingTalk integration suite');
  }
}
