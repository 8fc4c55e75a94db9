import type { Request, Response } from 'express';
import type { Bilingual } from '../web/i18n.js';
import { sendProblem } from '../web/problem-page.js';
import type { LaunchProblem } from './launch-claims.js';
import { msg } from '../messages/messages.js';

/** Everything a launch or an LTI page can refuse, beyond the id_token checks. */
export type LtiProblem =
  | LaunchProblem
  | 'STATE_MISSING'
  | 'LOGIN_PARAMETERS'
  | 'PLATFORM_INACTIVE'
  | 'SESSION_EXPIRED'
  | 'LEARNER_NOT_ALLOWED'
  | 'LESSON_NOT_FOUND'
  | 'REGISTRATION_FAILED'
  | 'REGISTRATION_NEEDS_LINK'
  | 'REGISTRATION_LINK_INVALID'
  | 'ID_TOKEN_WRONG_PATH';

const TEXT: Partial<Record<LtiProblem, Bilingual>> = {
  STATE_MISSING: msg.errorPage.yourBrowserDidNotSend,
  UNREGISTERED_PLATFORM: msg.errorPage.thisLearningPlatformIsNot,
  UNKNOWN_DEPLOYMENT: msg.errorPage.thisDeploymentOfTheTool,
  PLATFORM_INACTIVE: msg.errorPage.thisLearningPlatformIsRegistered,
  TOKEN_EXPIRED: msg.errorPage.theSignInTookToo,
  NONCE_REUSED: msg.errorPage.thisSignInWasAlready,
  SESSION_EXPIRED: msg.errorPage.yourSessionHasEndedGo,
  LEARNER_NOT_ALLOWED: msg.errorPage.onlyTeachersAndAdministratorsCan,
  LESSON_NOT_FOUND: msg.errorPage.thisActivityPointsToA,
  REGISTRATION_FAILED: msg.errorPage.registrationWithThePlatformFailed,
  REGISTRATION_NEEDS_LINK: msg.errorPage.virtualTutorRegistersAPlatform,
  REGISTRATION_LINK_INVALID: msg.errorPage.thisRegistrationUrlIsNot,
  ID_TOKEN_WRONG_PATH: msg.errorPage.aSignInFromThe,
  LOGIN_PARAMETERS: msg.errorPage.thePlatformStartedTheSign,
};
const GENERIC: Bilingual = msg.errorPage.theLearningPlatformsSignIn;

const STATUS: Partial<Record<LtiProblem, number>> = {
  LEARNER_NOT_ALLOWED: 403,
  LESSON_NOT_FOUND: 404,
  LOGIN_PARAMETERS: 400,
  REGISTRATION_FAILED: 502,
  REGISTRATION_NEEDS_LINK: 403,
  REGISTRATION_LINK_INVALID: 403,
  ID_TOKEN_WRONG_PATH: 400,
};

/**
 * Answers with the bilingual error page for an LTI problem: a plain explanation, the problem code and
 * a reference to find the log line. `reason` is shown too: our own words only, never a peer's answer.
 */
export function sendLtiError(
  req: Request,
  res: Response,
  problem: LtiProblem,
  detail: string,
  reason?: string,
): void {
  sendProblem(req, res, {
    status: STATUS[problem] ?? 401,
    title: msg.errorPage.thisPageCannotOpen,
    text: TEXT[problem] ?? GENERIC,
    code: problem,
    detail,
    reason,
  });
}
