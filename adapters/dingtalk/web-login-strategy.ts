import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import { DingTalkError, type DingTalkApi } from './dingtalk-api.js';
import type { CorpLookup, DingTalkIdentity } from './dingtalk-identity.js';
import { StateCookie } from './state-cookie.js';

export interface WebLoginOptions {
  /** Where DingTalk sends the browser back (registered as the app's redirect URL). */
  readonly callbackUrl: string;
  /** The state cookie's path: the callback's. */
  readonly cookiePath: string;
  readonly secureCookies: boolean;
}

/**
 * DingTalk's OAuth2 sign-in for an ordinary browser (the admin pages): without a code it sends the
 * browser to DingTalk with a fresh state (also in a state cookie); with one it checks the state,
 * exchanges the code for the person's profile, checks that they picked the organisation the state
 * names, and finds their user id there (staff only). Needs cookie-parser in front of it.
 */
export class WebLoginStrategy extends Strategy {
  readonly name = 'dingtalk-web-login';

  private readonly state: StateCookie;

  constructor(
    private readonly api: DingTalkApi,
    private readonly corpOf: CorpLookup,
    private readonly o: WebLoginOptions,
  ) {
    super();
    this.state = new StateCookie({ name: 'vt_dt_state', path: o.cookiePath, secure: o.secureCookies });
  }

  override authenticate(req: Request): void {
    const q = req.query as Record<string, unknown>;
    const code = typeof q.authCode === 'string' ? q.authCode : typeof q.code === 'string' ? q.code : '';
    void (code ? this.back(req, code, String(q.state ?? '')) : this.start(req, String(q.corp ?? ''))).catch(
      (e: Error) =>
        e instanceof DingTalkError && e.permanent
          ? this.fail({ message: 'code-refused' }, 401)
          : this.error(e),
    );
  }

  private async start(req: Request, corpId: string): Promise<void> {
    const app = await this.corpOf(corpId);
    if (!app) return this.fail({ message: 'unknown-corp' }, 404);
    const state = this.state.issue(req.res!, `${corpId}.`);
    this.redirect(this.api.authorizeUrl(app, this.o.callbackUrl, state));
  }

  private async back(req: Request, code: string, state: string): Promise<void> {
    if (!this.state.take(req, req.res!, state)) return this.fail({ message: 'state-mismatch' }, 403);
    const corpId = state.slice(0, state.lastIndexOf('.'));
    const app = await this.corpOf(corpId);
    if (!app) return this.fail({ message: 'unknown-corp' }, 404);
    const me = await this.api.signedInUser(app, code);
    // The organisation the person picked on DingTalk's page must be the one they sign in to, and
    // they must be its staff, not an external contact (shared/docs/dingtalk.md §3).
    if (me.corpId && me.corpId !== corpId) return this.fail({ message: 'other-organisation' }, 403);
    const { userid, external } = await this.api.userIdByUnionId(app, me.unionId);
    if (external) return this.fail({ message: 'external-contact' }, 403);
    const who: DingTalkIdentity = { corpId, ...(await this.api.user(app, userid)) };
    this.success(who);
  }
}
