import type { Logger } from 'pino';
import type { DingTalkApi } from '../../../adapters/dingtalk/dingtalk-api.js';
import type { Assignments } from './assignments.js';
import type { Corp, CorpRepository } from './corp-repository.js';
import type { DingTalkPeople } from './dingtalk-people.js';

/**
 * Past this share of the people the tool knows, a comparison that finds them all gone is not
 * believed (a directory answering empty, an app moved to another organisation): nobody is marked.
 */
const MAX_GONE_SHARE = 0.5;

/**
 * Events missed while the tool was down (or DingTalk's push failed) made good by comparing with the
 * directory (shared/docs/dingtalk.md #9): the organisation's members are listed (listid and
 * listsubid, from the root department: neither is limited by the app's directory scope, and neither
 * counts against the monthly quota); people the tool knows who are not among them left, and are
 * handled as a leave event would; department assignments are resolved again, which reaches
 * newcomers. A listing that fails part way marks nobody.
 */
export class DirectoryReconciliation {
  constructor(
    private readonly d: {
      api: DingTalkApi;
      corps: CorpRepository;
      people: DingTalkPeople;
      assignments: Assignments;
      log: Logger;
      everyHours: number;
    },
  ) {}

  /** Compares every organisation not compared in the last `everyHours` (one instance each). */
  async due(): Promise<void> {
    for (const corp of await this.d.corps.claimReconciliation(this.d.everyHours))
      await this.reconcile(corp).catch((e: Error) =>
        this.d.log.warn({ corpId: corp.corpId, err: e.message }, 'directory not reconciled'),
      );
  }

  /** Answers the organisation's member count and who was found gone. */
  async reconcile(corp: Corp): Promise<{ members: number; left: string[] }> {
    const members = new Set(await this.d.api.departmentMembers(corp, 1));
    const known = await this.d.people.known(corp.corpId);
    const gone = known.filter((u) => !members.has(u));
    if (gone.length > 1 && gone.length > known.length * MAX_GONE_SHARE) {
      this.d.log.warn(
        { corpId: corp.corpId, known: known.length, gone: gone.length },
        'directory comparison not believed: it would remove most people',
      );
      return { members: members.size, left: [] };
    }
    await this.d.people.left(corp.corpId, gone);
    await this.d.assignments.refresh(corp);
    this.d.log.info(
      { event: 'directory', corpId: corp.corpId, members: members.size, left: gone.length },
      'directory reconciled',
    );
    return { members: members.size, left: gone };
  }
}
