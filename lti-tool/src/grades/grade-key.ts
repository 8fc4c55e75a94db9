import { z } from 'zod';

/** A learner and lesson whose score waits in the outbox: the payload of a grade job, never the score. */
export const GradeKeySchema = z.object({ lessonId: z.string().min(1), userId: z.string().min(1) }).strict();
export type GradeKey = z.infer<typeof GradeKeySchema>;
