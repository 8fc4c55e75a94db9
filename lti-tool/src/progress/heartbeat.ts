import { z } from 'zod';

const seconds = z
  .number()
  .min(0)
  .max(24 * 3600);

/**
 * What the player sends every few seconds and on pause, seek, end and page hide: the intervals
 * played since its last heartbeat and where it is. `seq` counts the launch session's heartbeats, so
 * a retried or duplicated one is recognised.
 */
export const HeartbeatSchema = z.object({
  session: z.string().min(1).max(200),
  lessonId: z.uuid(),
  seq: z.number().int().min(0).max(1_000_000),
  position: seconds,
  intervals: z.array(z.tuple([seconds, seconds])).max(100),
  event: z.enum(['play', 'tick', 'pause', 'seeked', 'ended', 'hidden']),
  /** Whether the video plays as this is sent (older players omit it: then play and tick are playing). */
  playing: z.boolean().optional(),
});
export type Heartbeat = z.infer<typeof HeartbeatSchema>;

/** Whether the player was playing when it sent `hb`: time until its next heartbeat may be credited. */
export const isPlaying = (hb: Heartbeat): boolean =>
  hb.playing ?? (hb.event === 'play' || hb.event === 'tick');

/** What the player is told back: the learner's standing on the lesson. */
export interface WatchStanding {
  readonly coverage: number;
  readonly completed: boolean;
  readonly position: number;
  /** The lesson's grade, 0–1: watching and, where it has questions, points (what an LMS is told). */
  readonly grade: number;
}
