import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import { DingTalkError, type DingTalkApi } from './dingtalk-api.js';
import type { CorpLookup, DingTalkIdentity } from './dingtalk-identity.js';

/** User detail refused for scope (50002) or permission (60011): free-login's name will do. */
const OUT_OF_SCOPE = new Set<number | string>([50002, 60011]);

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
    const byCode = await this.api.userIdByCode(app, code);
    try {
      return { corpId, ...(await this.api.user(app, byCode.userid)) };
    } catch (e) {
      // Someone outside the app's directory scope (50002), or an app without the permission (60011):
      // free-login named them, which is enough to sign in; without their departments, only lessons
      // assigned to them by name are theirs (the README asks for the scope "all staff").
      if (!(e instanceof DingTalkError) || !OUT_OF_SCOPE.has(e.errcode)) throw e;
      return { corpId, userid: byCode.userid, name: byCode.name ?? byCode.userid, deptIds: [] };
    }
  }
}
