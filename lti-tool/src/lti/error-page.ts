import type { Request, Response } from 'express';
import type { Bilingual } from '../web/i18n.js';
import { sendProblem } from '../web/problem-page.js';
import type { LaunchProblem } from './launch-validator.js';

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
  STATE_MISSING: {
    en: 'Your browser did not send back the sign-in cookie. This happens inside a course page when the browser blocks third-party cookies. Ask your LMS administrator to open this tool in a new window (Moodle: Launch container → New window), or allow cookies for this site, then launch again.',
    zh: '浏览器没有回传登录所需的 Cookie。在课程页面中嵌入打开且浏览器阻止第三方 Cookie 时会出现这种情况。请让 LMS 管理员将本工具设置为在新窗口中打开（Moodle：启动容器 → 新窗口），或允许本站点的 Cookie，然后重新启动。',
  },
  UNREGISTERED_PLATFORM: {
    en: 'This learning platform is not registered with Virtual Tutor. An administrator must register it first.',
    zh: '此学习平台尚未在 Virtual Tutor 注册，请管理员先完成注册。',
  },
  UNKNOWN_DEPLOYMENT: {
    en: 'This deployment of the tool is not known to Virtual Tutor. An administrator must add the deployment id.',
    zh: 'Virtual Tutor 不认识此工具部署，请管理员添加该部署 ID。',
  },
  PLATFORM_INACTIVE: {
    en: 'This learning platform is registered but not activated yet.',
    zh: '此学习平台已注册，但尚未激活。',
  },
  TOKEN_EXPIRED: {
    en: 'The sign-in took too long and expired. Go back to the course and open the activity again.',
    zh: '登录耗时过长已过期。请返回课程重新打开该活动。',
  },
  NONCE_REUSED: {
    en: 'This sign-in was already used. Go back to the course and open the activity again.',
    zh: '此登录凭据已被使用过。请返回课程重新打开该活动。',
  },
  SESSION_EXPIRED: {
    en: 'Your session has ended. Go back to the course and open the activity again.',
    zh: '会话已结束。请返回课程重新打开该活动。',
  },
  LEARNER_NOT_ALLOWED: {
    en: 'Only teachers and administrators can create or edit lessons.',
    zh: '只有教师和管理员可以创建或编辑课程。',
  },
  LESSON_NOT_FOUND: {
    en: 'This activity points to a lesson that does not exist in this course.',
    zh: '此活动指向的课程在本课程中不存在。',
  },
  REGISTRATION_FAILED: {
    en: 'Registration with the platform failed. The platform must be able to reach this tool, and the tool the platform: Moodle blocks private addresses and every port but 80 and 443 by default (Site administration → Security → HTTP security: cURL blocked hosts and allowed ports).',
    zh: '与平台的注册失败。平台与本工具必须能相互访问：Moodle 默认阻止私有地址以及 80、443 以外的端口（网站管理 → 安全 → HTTP 安全：cURL 阻止的主机与允许的端口）。',
  },
  REGISTRATION_NEEDS_LINK: {
    en: 'Virtual Tutor registers a platform only through a one-time registration URL. Ask the tool administrator for one (Virtual Tutor → Admin → LMS platforms → Create registration URL) and paste it into Moodle as the tool URL.',
    zh: 'Virtual Tutor 只接受通过一次性注册 URL 进行的平台注册。请向工具管理员索取（Virtual Tutor → 管理 → LMS 平台 → 创建注册 URL），并将其作为工具 URL 粘贴到 Moodle 中。',
  },
  REGISTRATION_LINK_INVALID: {
    en: 'This registration URL is not valid: it was already used, it expired, or it was mistyped. Ask the tool administrator for a new one.',
    zh: '此注册 URL 无效：它已被使用、已过期或输入有误。请向工具管理员索取新的注册 URL。',
  },
  ID_TOKEN_WRONG_PATH: {
    en: 'A sign-in from the learning platform arrived at the wrong address of this tool. Go back to the course and open the activity again.',
    zh: '学习平台的登录信息发送到了本工具的错误地址。请返回课程重新打开该活动。',
  },
  LOGIN_PARAMETERS: {
    en: 'The platform started the sign-in without the parameters LTI 1.3 requires (iss, login_hint, target_link_uri).',
    zh: '平台发起登录时缺少 LTI 1.3 要求的参数（iss、login_hint、target_link_uri）。',
  },
};
const GENERIC: Bilingual = {
  en: 'The learning platform’s sign-in could not be verified, so this page cannot open. Go back to the course and try again; if it keeps happening, give your administrator the reference below.',
  zh: '无法验证学习平台的登录信息，因此无法打开此页面。请返回课程重试；如果问题持续，请把下面的参考编号提供给管理员。',
};

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
    title: { en: 'This page cannot open', zh: '无法打开此页面' },
    text: TEXT[problem] ?? GENERIC,
    code: problem,
    detail,
    reason,
  });
}
