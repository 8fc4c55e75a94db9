/**
 * DingTalk's monthly API quota (shared/docs/dingtalk.md §7): a standard-edition organisation may make
 * 5,000 calls a month to every API not on the exempt list, across all its apps; past them DingTalk
 * answers 90020 (the newer API: 403 Forbidden.AccessDenied.ApiCountLimitForOrg) until the month ends.
 * Exempt: access tokens, free-login and the directory. Work notices (sending and reading results)
 * count. Months are China's (UTC+8), as DingTalk's.
 */
export const STANDARD_MONTHLY_QUOTA = 5000;

/** Paths of the exempt APIs (tokens, free-login, the directory, a person's own sign-in). */
const EXEMPT = [
  '/gettoken',
  '/topapi/v2/user/',
  '/topapi/user/',
  '/topapi/v2/department/',
  '/v1.0/oauth2/',
  '/v1.0/contact/',
];

/** Whether a call to `path` counts against the organisation's monthly quota. */
export const countsAgainstQuota = (path: string): boolean => !EXEMPT.some((p) => path.startsWith(p));

/** Told of every call that counts, before it is made (a call DingTalk refuses may still count). */
export interface CallMeter {
  counted(corpId: string, path: string): void;
}

const CHINA_MS = 8 * 3600_000;

/** The quota's month of `at`, as YYYY-MM in China. */
export const quotaMonth = (at: Date): string => new Date(at.getTime() + CHINA_MS).toISOString().slice(0, 7);

/** When the month of `at` ends in China: the quota is whole again. */
export function quotaRenews(at: Date): Date {
  const china = new Date(at.getTime() + CHINA_MS);
  return new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth() + 1, 1) - CHINA_MS);
}
