import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * A one-time state in a short-lived cookie, checked against what comes back in a form or a redirect
 * (double submit): a sign-in that did not start in this browser lacks the cookie. SameSite=Lax, so
 * it survives the way back from DingTalk. Needs cookie-parser in front of the check.
 */
export class StateCookie {
  constructor(
    private readonly o: { readonly name: string; readonly path: string; readonly secure: boolean },
  ) {}

  /** Sets a fresh state (after `prefix`, which the state then carries) and answers it. */
  issue(res: Response, prefix = ''): string {
    const state = `${prefix}${randomBytes(18).toString('base64url')}`;
    res.cookie(this.o.name, state, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.o.secure,
      path: this.o.path,
      maxAge: 10 * 60_000,
    });
    return state;
  }

  /** Whether `given` is the state this browser was issued; the cookie is spent either way. */
  take(req: Request, res: Response, given: string): boolean {
    const cookie = (req.cookies as Record<string, string> | undefined)?.[this.o.name];
    res.clearCookie(this.o.name, { path: this.o.path });
    return (
      cookie !== undefined &&
      given.length > 0 &&
      cookie.length === given.length &&
      timingSafeEqual(Buffer.from(cookie), Buffer.from(given))
    );
  }
}
