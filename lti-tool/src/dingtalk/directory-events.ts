import type { Logger } from 'pino';
import type { Assignments } from './assignments.js';
import type { CallbackEvents } from './callback-events.js';
import type { Corp, EventChannel } from './corp-repository.js';
import type { DingTalkPeople } from './dingtalk-people.js';

/**
 * An address-book event as either channel carries it: HTTP push names the people `userId` (the older
 * register_call_back format `UserId`); Stream mode puts the same fields in its data.
 */
export interface DirectoryEvent {
  readonly EventType?: string;
  readonly userId?: readonly string[];
  readonly UserId?: readonly string[];
}

/** DingTalk's address-book events after which department assignments may reach more people. */
const REACHING_EVENTS = new Set(['user_add_org', 'user_modify_org', 'org_dept_create', 'org_dept_modify']);

/**
 * DingTalk's address-book events, from Stream mode and HTTP push alike, each handled once (the same
 * `eventId` from either channel, or redelivered, does nothing the second time): who left loses
 * access now; a change of people or departments may reach more people assigned by department.
 */
export class DirectoryEvents {
  constructor(
    private readonly d: {
      seen: CallbackEvents;
      people: DingTalkPeople;
      assignments: Assignments;
      log: Logger;
    },
  ) {}

  /** Handles `event` unless its `key` was handled before; answers whether it was new. */
  async handle(corp: Corp, event: DirectoryEvent, key: string, channel: EventChannel): Promise<boolean> {
    if (!(await this.d.seen.firstTime(corp.corpId, key))) {
      this.d.log.info(
        { corpId: corp.corpId, event: event.EventType, channel },
        'DingTalk event already handled',
      );
      return false;
    }
    try {
      if (event.EventType === 'user_leave_org')
        await this.d.people.left(corp.corpId, event.userId ?? event.UserId ?? []);
      else if (REACHING_EVENTS.has(event.EventType ?? ''))
        this.d.assignments.refreshSoon(corp, (e) =>
          this.d.log.warn({ corpId: corp.corpId, err: e.message }, 'assignments not refreshed'),
        );
    } catch (e) {
      // Not handled after all: DingTalk's next delivery of it must not be taken for a repeat.
      await this.d.seen.forget(corp.corpId, key);
      throw e;
    }
    this.d.log.info({ corpId: corp.corpId, event: event.EventType, channel }, 'DingTalk event');
    return true;
  }
}
