import { z } from 'zod';

/**
 * The shapes of what comes in a URL, for `validate({ params })` at the door of a route: an id that
 * cannot be one of ours is refused there with 400 and why, before any lookup.
 */

/** Our row ids (UUIDs) and the ids of peers (platforms, organisations): letters, digits, `.:_-`. */
export const Id = z.string().regex(/^[\w.:-]{1,128}$/, 'an id: letters, digits and . _ : - only');
/** A content address. */
export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256');
/** A DingTalk organisation's CorpId. */
export const CorpId = z.string().regex(/^[\w-]{4,64}$/, 'a DingTalk CorpId');

export const IdParams = z.object({ id: Id });
export const ShaParams = z.object({ sha: Sha256 });
export const CorpParams = z.object({ corpId: CorpId });
export const LessonParams = z.object({ lessonId: Id });
