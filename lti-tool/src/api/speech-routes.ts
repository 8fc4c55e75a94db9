import { Router } from 'express';
import { z } from 'zod';
import { ScriptLanguageSchema } from '../narration/languages.js';
import type { NarrationService } from '../narration/narration-service.js';
import { validate, validOf } from '../web/validate.js';
import { callerOf } from './api-auth.js';

/** A script to speak, as the studio sends it (its length is checked against VT_SCRIPT_MAX_CHARS). */
export const NarrationInputSchema = z
  .object({
    script: z.string().max(1_000_000),
    language: ScriptLanguageSchema,
    voice: z.string().min(1).max(100),
  })
  .strict();
export type NarrationInput = z.infer<typeof NarrationInputSchema>;

/** Voices, and speaking a script for the author to hear before anything is rendered. */
export function speechRoutes(d: { narration: NarrationService; maxScriptChars: number }): Router {
  const router = Router();

  router.get('/api/speech/voices', (_req, res) => {
    res.json({ voices: d.narration.voices(), maxScriptChars: d.maxScriptChars });
  });

  router.post(
    '/api/speech/preview',
    validate({ body: NarrationInputSchema }, 'The script request is not valid.'),
    async (req, res) => {
      const n = await d.narration.prepare(callerOf(req.user).tenantId, validOf<NarrationInput>(res).body);
      res.json({
        audio: n.audio.sha256,
        durationSec: n.record.durationSec,
        sentences: n.sentences,
        synthesized: n.synthesized,
        captions: n.captions,
        chapters: n.record.chapterList,
      });
    },
  );
  return router;
}
