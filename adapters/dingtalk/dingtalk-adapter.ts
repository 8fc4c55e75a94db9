import { DeliveryError, type LmsNotifier, type Notice, type NoticeOutcome } from '../lms-adapter.js';
import type { DingTalkApi } from './dingtalk-api.js';
import type { CorpLookup } from './dingtalk-identity.js';
import { overLimits } from './work-notice-limits.js';

/**
 * User ids in one work notice: DingTalk's current documentation allows an internal app 5,000, the
 * older and its third-party apps fewer; 100 is safe for every kind of app and keeps a failed send small.
 */
export const WORK_NOTICE_MAX_USERS = 100;
/** Past 5,000 recipients a minute DingTalk still answers "sent" but delivers nothing. */
export const WORK_NOTICE_RECIPIENTS_PER_MINUTE = 5000;

/**
 * DingTalk as the tool's notifier: a notice becomes a work notice (an action card with one button),
 * sent asynchronously by DingTalk, whose outcome is read back from its send result.
 */
export class DingTalkAdapter implements LmsNotifier {
  readonly maxRecipients = WORK_NOTICE_MAX_USERS;
  readonly recipientsPerMinute = WORK_NOTICE_RECIPIENTS_PER_MINUTE;

  constructor(
    private readonly api: DingTalkApi,
    private readonly corpOf: CorpLookup,
  ) {}

  async notify(corpId: string, userIds: readonly string[], notice: Notice): Promise<string> {
    if (userIds.length > this.maxRecipients)
      throw new DeliveryError(`at most ${this.maxRecipients} recipients per work notice`, true);
    // Checked here, not by DingTalk: past its limits a send may be refused or cut without a word.
    const over = overLimits(notice);
    if (over.length) throw new DeliveryError(`the work notice is too large: ${over.join('; ')}`, true);
    return this.api.sendWorkNotice(await this.app(corpId), userIds, notice);
  }

  /** Settled once DingTalk's result accounts for every recipient: one call a look. */
  async outcome(
    corpId: string,
    taskId: string,
    recipients: readonly string[],
  ): Promise<NoticeOutcome | undefined> {
    const { handled, undelivered } = await this.api.sendResult(await this.app(corpId), taskId);
    return recipients.every((u) => handled.has(u)) ? { undelivered } : undefined;
  }

  private async app(corpId: string) {
    const app = await this.corpOf(corpId);
    if (!app) throw new DeliveryError(`DingTalk organisation ${corpId} is no longer connected`, true);
    return app;
  }
}

/**
 * A link that opens `url` inside DingTalk, where free-login works: the phone's built-in browser, and
 * on the PC client its sidebar (`pc_slide=true`; `false` would send PC users to the system browser,
 * where there is no JSAPI and so no sign-in).
 */
export const openInDingTalk = (url: string): string =>
  `dingtalk://dingtalkclient/page/link?${new URLSearchParams({ url, pc_slide: 'true' })}`;
