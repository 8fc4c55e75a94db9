import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import { DingTalkError, type DingTalkApi } from './dingtalk-api.js';
import type { CorpLookup, DingTalkIdentity } from './dingtalk-identity.js';

/**
 * Free-login (免登) for the tool opened inside DingTalk: the page asks the DingTalk JSAPI for an auth
 * code (requestAuthCode) and posts it with the corp id; the server exchanges the code, with the app's
 * access token, for the person's user id, then reads their profile (name, departments). A code works
 * once and for five minutes, so a replayed form fails here.
 */
export class FreeLoginStrategy extends Strategy {
  readonly name = 'dingtalk-free-login';

  constructor(
    private readonly api: DingTalkApi,
    private readonly corpOf: CorpLookup,
  ) {
    super();
  }

  override authenticate(req: Request): void {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const corpId = typeof body.corpId === 'string' ? body.corpId : '';
    const code = typeof body.code === 'string' ? body.code : '';
    if (!corpId || !code) return this.fail({ message: 'no-code' }, 400);
    void this.identify(corpId, code).then(
      (who) => (who ? this.success(who) : this.fail({ message: 'unknown-corp' }, 403)),
      (e: Error) =>
        e instanceof DingTalkError && e.permanent
          ? this.fail({ message: 'code-refused' }, 401)
          : this.error(e),
    );
  }

  private async identify(corpId: string, code: string): Promise<DingTalkIdentity | undefined> {
    const app = await this.corpOf(corpId);
    if (!app) return undefined;
    const { userid } = await this.api.userIdByCode(app, code);
    return { corpId, ...(await this.api.user(app, userid)) };
  }
}
