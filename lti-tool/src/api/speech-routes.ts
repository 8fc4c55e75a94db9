import { Router, type Response } from 'express';
import { z } from 'zod';
import { ScriptLanguageSchema } from '../narration/languages.js';
import type { NarrationService } from '../narration/narration-service.js';
import { ScriptError } from '../narration/script.js';
import { SpeechError } from '../narration/speech-engine.js';
import { callerOf } from './api-auth.js';
import { invalidRequest } from './invalid-request.js';

/** A script to speak, as the studio sends it (its length is checked against VT_SCRIPT_MAX_CHARS). */
export const NarrationInputSchema = z
  .object({
    script: z.string().max(1_000_000),
    language: ScriptLanguageSchema,
    voice: z.string().min(1).max(100),
  })
  .strict();

/**
 * Answers a failed narration, or returns false for errors that are not its own: a script or voice
 * the author can fix is 422 (with the problem, for the studio to say in the author's language), a
 * speech engine that may work again later is 503. Nothing was stored either way.
 */
export function answerNarrationError(res: Response, e: unknown): boolean {
  if (e instanceof ScriptError) res.status(422).json({ error: e.message, problem: e.problem });
  else if (e instanceof SpeechError && e.permanent)
    res.status(422).json({ error: e.message, problem: 'speech' });
  else if (e instanceof SpeechError)
    res.status(503).json({
      error: `Speech synthesis failed just now (${e.message}); nothing was saved. Try again shortly.`,
      problem: 'speech-unavailable',
    });
  else return false;
  return true;
}

/** Voices, and speaking a script for the author to hear before anything is rendered. */
export function speechRoutes(d: { narration: NarrationService; maxScriptChars: number }): Router {
  const router = Router();

  router.get('/api/speech/voices', (_req, res) => {
    res.json({ voices: d.narration.voices(), maxScriptChars: d.maxScriptChars });
  });

  router.post('/api/speech/preview', async (req, res, next) => {
    const parsed = NarrationInputSchema.safeParse(req.body ?? {});
    if (!parsed.success)
      return void res.status(400).json(invalidRequest('The script request is not valid.', parsed.error));
    try {
      const n = await d.narration.prepare(callerOf(req.user).tenantId, parsed.data);
      res.json({
        audio: n.audio.sha256,
        durationSec: n.record.durationSec,
        sentences: n.sentences,
        synthesized: n.synthesized,
        captions: n.captions,
        chapters: n.record.chapterList,
      });
    } catch (e) {
      if (!answerNarrationError(res, e)) next(e);
    }
  });
  return router;
}
