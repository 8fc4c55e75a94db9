import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { LessonLanguages } from '../lessons/lesson-languages.js';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import { callerOf } from './api-auth.js';

const PublishLanguageSchema = z.object({ renderId: z.uuid() }).strict();

/** Why a render cannot be a language version, for the instructor. */
const REFUSED = {
  'not-found': [404, 'No such lesson, or that render of it is not finished.'],
  'not-narrated': [
    422,
    'Only a version with a script (spoken, or the transcript of a recording) can be a language version: its language and captions come from it.',
  ],
  'not-published': [409, 'Publish the lesson itself first; language versions are added to it.'],
  'same-language': [
    409,
    'That version speaks the lesson’s own language: publish it as a new version of the lesson instead.',
  ],
} as const;

/**
 * Dubbing: an instructor of the lesson's course publishes a finished, script-spoken render of it as
 * the lesson in that script's language, lists the languages, or withdraws one.
 */
export function lessonLanguagesRoutes(d: { lessons: LessonRepository; languages: LessonLanguages }): Router {
  const router = Router();

  /** The lesson, in the caller's course; answers 403/404 itself and returns undefined. */
  const lessonOf = async (
    req: Request,
    res: Response,
  ): Promise<{ lessonId: string; contextId: string } | undefined> => {
    const caller = callerOf(req.user);
    if (!caller.contextId)
      return void res.status(403).json({ error: 'Lessons are published from their course (an LTI launch).' });
    const lessonId = String(req.params.id);
    if (
      !z.uuid().safeParse(lessonId).success ||
      !(await d.lessons.get(caller.tenantId, caller.contextId, lessonId))
    )
      return void res.status(404).json({ error: 'No such lesson.' });
    return { lessonId, contextId: caller.contextId };
  };

  router.get('/api/lessons/:id/languages', async (req, res) => {
    const lesson = await lessonOf(req, res);
    if (lesson) res.json({ languages: await d.languages.list(lesson.lessonId) });
  });

  router.post('/api/lessons/:id/languages', async (req, res) => {
    const lesson = await lessonOf(req, res);
    if (!lesson) return;
    const parsed = PublishLanguageSchema.safeParse(req.body ?? {});
    if (!parsed.success)
      return void res.status(400).json({ error: 'Give the renderId of the language version.' });
    const outcome = await d.languages.publish(
      callerOf(req.user).tenantId,
      lesson.contextId,
      lesson.lessonId,
      parsed.data.renderId,
    );
    if (!outcome.ok) {
      const [status, error] = REFUSED[outcome.problem];
      return void res.status(status).json({ error, problem: outcome.problem });
    }
    res.json({ lessonId: lesson.lessonId, language: outcome.language, renderId: parsed.data.renderId });
  });

  router.delete('/api/lessons/:id/languages/:language', async (req, res) => {
    const lesson = await lessonOf(req, res);
    if (!lesson) return;
    const removed = await d.languages.remove(
      callerOf(req.user).tenantId,
      lesson.contextId,
      lesson.lessonId,
      String(req.params.language),
    );
    if (!removed) return void res.status(404).json({ error: 'The lesson has no version in that language.' });
    res.status(204).end();
  });
  return router;
}
