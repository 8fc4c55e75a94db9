import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import { DingTalkError, type DingTalkApi } from './dingtalk-api.js';
import type { CorpLookup, DingTalkIdentity } from './dingtalk-identity.js';

export interface WebLoginOptions {
  /** Where DingTalk sends the browser back (registered as the app's redirect URL). */
  readonly callbackUrl: string;
  /** The state cookie's path: the callback's. */
  readonly cookiePath: string;
  readonly secureCookies: boolean;
}

const STATE_COOKIE = 'vt_dt_state';

/**
 * DingTalk's OAuth2 sign-in for an ordinary browser (the admin pages): without a code it sends the
 * browser to DingTalk with a fresh state (also in a short-lived cookie, SameSite=Lax so it survives
 * the way back); with one it checks the state, exchanges the code for the person's profile and finds
 * their user id in the organisation the state names. Needs cookie-parser in front of it.
 */
export class WebLoginStrategy extends Strategy {
  readonly name = 'dingtalk-web-login';

  constructor(
    private readonly api: DingTalkApi,
    private readonly corpOf: CorpLookup,
    private readonly o: WebLoginOptions,
  ) {
    super();
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
    const state = `${corpId}.${randomBytes(18).toString('base64url')}`;
    req.res!.cookie(STATE_COOKIE, state, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.o.secureCookies,
      path: this.o.cookiePath,
      maxAge: 10 * 60_000,
    });
    this.redirect(this.api.authorizeUrl(app, this.o.callbackUrl, state));
  }

  private async back(req: Request, code: string, state: string): Promise<void> {
    const cookie = (req.cookies as Record<string, string> | undefined)?.[STATE_COOKIE];
    req.res!.clearCookie(STATE_COOKIE, { path: this.o.cookiePath });
    const same =
      cookie !== undefined &&
      cookie.length === state.length &&
      timingSafeEqual(Buffer.from(cookie), Buffer.from(state));
    if (!same) return this.fail({ message: 'state-mismatch' }, 403);
    const corpId = state.slice(0, state.lastIndexOf('.'));
    const app = await this.corpOf(corpId);
    if (!app) return this.fail({ message: 'unknown-corp' }, 404);
    const me = await this.api.signedInUser(app, code);
    const userid = await this.api.userIdByUnionId(app, me.unionId);
    const who: DingTalkIdentity = { corpId, ...(await this.api.user(app, userid)) };
    this.success(who);
  }
}
