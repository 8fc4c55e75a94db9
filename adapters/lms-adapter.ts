/**
 * What lti-tool asks of an LMS, whichever it is (Moodle through LTI Advantage, DingTalk through its
 * server API): publish a learner's score, fetch a course's roster. Adapters own every LMS-specific
 * call; the tool knows only this.
 */

/** A score as LTI Assignment and Grade Services 2.0 defines it (§3.4 Score publish service). */
export interface Score {
  readonly userId: string;
  readonly scoreGiven: number;
  readonly scoreMaximum: number;
  readonly activityProgress: 'Initialized' | 'Started' | 'InProgress' | 'Submitted' | 'Completed';
  readonly gradingProgress: 'FullyGraded' | 'Pending' | 'PendingManual' | 'Failed' | 'NotReady';
  /** ISO 8601 with sub-second precision: the platform ignores a score older than the one it has. */
  readonly timestamp: string;
  readonly comment?: string;
}

/** Where a learner's score goes: the platform and the gradebook column of the activity. */
export interface ScoreTarget {
  readonly platformId: string;
  /** The line item the launch named; absent when the platform made none. */
  readonly lineitem?: string;
  /** The context's line items container, to find or create one. */
  readonly lineitems?: string;
  readonly resourceLinkId?: string;
  readonly label: string;
  readonly scopes: readonly string[];
}

export interface RosterTarget {
  readonly platformId: string;
  readonly membershipsUrl: string;
}

export interface Member {
  readonly userId: string;
  readonly name?: string;
  readonly roles: readonly string[];
  readonly status: string;
}

export interface LmsAdapter {
  publishScore(target: ScoreTarget, score: Score): Promise<void>;
  fetchRoster(target: RosterTarget): Promise<Member[]>;
}

/** A message to people in a workplace app (a DingTalk work notice): a card with one link. */
export interface Notice {
  readonly title: string;
  /** The card's body, in the small Markdown subset workplace apps render. */
  readonly markdown: string;
  readonly linkTitle: string;
  readonly linkUrl: string;
}

/** What became of a notice sent earlier: undefined while the LMS is still sending it. */
export interface NoticeOutcome {
  /** Recipients it did not reach, with the reason. */
  readonly undelivered: ReadonlyMap<string, string>;
}

/** An LMS that can notify its people (DingTalk): send one notice to a batch, then ask how it went. */
export interface LmsNotifier {
  /** The most recipients one send may name. */
  readonly maxRecipients: number;
  /** The most recipients an organisation may be sent in a minute (more are dropped by the LMS). */
  readonly recipientsPerMinute: number;
  /** Sends `notice` to `userIds` of organisation `org`; answers the LMS's task id. */
  notify(org: string, userIds: readonly string[], notice: Notice): Promise<string>;
  /** What became of a send to `recipients`: undefined while the LMS has not handled them all. */
  outcome(org: string, taskId: string, recipients: readonly string[]): Promise<NoticeOutcome | undefined>;
}

/**
 * A delivery the LMS refused. `permanent` (a 4xx other than an expired token) is kept for the admin
 * with its reason; anything else (5xx, timeout, LMS down) is retried.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly status?: number,
    /** The LMS asked us to slow down: wait this long before the next call. */
    readonly retryAfterMs?: number,
    /**
     * What the LMS answered, for the log only: a peer's body is never shown to a user or stored beside
     * the message (it can hold anything the peer, or whoever it fronts, chose to put there).
     */
    readonly remoteBody?: string,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** 4xx answers are the LMS refusing this request for good, except "try later" ones. */
export const isPermanentStatus = (status: number): boolean =>
  status >= 400 && status < 500 && status !== 408 && status !== 429;
