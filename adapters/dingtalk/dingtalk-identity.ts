import type { CorpApp, DingTalkUser } from './dingtalk-api.js';

/** A DingTalk person as the bridge knows them: their organisation and their profile there. */
export interface DingTalkIdentity extends DingTalkUser {
  readonly corpId: string;
}

/** The organisations the bridge serves, by corp id (undefined for one it does not). */
export type CorpLookup = (corpId: string) => Promise<CorpApp | undefined>;

/** Their user id in progress and launch sessions: unique across organisations and LTI platforms. */
export const userKeyOf = (corpId: string, userid: string): string => `dt:${corpId}:${userid}`;
export const platformIdOf = (corpId: string): string => `dingtalk:${corpId}`;
