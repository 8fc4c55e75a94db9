import type { NextFunction, Request, Response } from 'express';
import type passport from 'passport';
import type { DingTalkIdentity } from '../../../adapters/dingtalk/dingtalk-identity.js';
import { DeliveryError } from '../../../adapters/lms-adapter.js';
import { sendDingTalkError } from './dingtalk-page.js';

/**
 * Runs one of the DingTalk passport strategies for this request (no passport session of its own).
 * DingTalk busy or out of reach answers a page that says so, not a server error; anything else
 * that broke goes to `next`; otherwise `then` gets the person, or false with the strategy's reason.
 */
export function signInWithDingTalk(
  auth: passport.Authenticator,
  strategy: 'dingtalk-free-login' | 'dingtalk-web-login',
  req: Request,
  res: Response,
  next: NextFunction,
  then: (who: DingTalkIdentity | false, reason?: string) => void,
): void {
  auth.authenticate(
    strategy,
    { session: false },
    (err: Error | null, who: DingTalkIdentity | false, info?: { message?: string }) => {
      if (err instanceof DeliveryError)
        return sendDingTalkError(req, res, 'DINGTALK_UNAVAILABLE', err.message);
      if (err) return next(err);
      then(who, info?.message);
    },
  )(req, res, next);
}
