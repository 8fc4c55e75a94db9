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

/**
 * A delivery the LMS refused. `permanent` (a 4xx other than an expired token) is kept for the admin
 * with its reason; anything else (5xx, timeout, LMS down) is retried.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** 4xx answers are the LMS refusing this request for good, except "try later" ones. */
export const isPermanentStatus = (status: number): boolean =>
  status >= 400 && status < 500 && status !== 408 && status !== 429;
