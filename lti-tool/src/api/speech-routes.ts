import { Router } from 'express';
import { z } from 'zod';
import { ScriptLanguageSchema } from '../narration/languages.js';
import type { NarrationService } from '../narration/narration-service.js';
import { validate, validOf } from '../web/validate.js';
import { callerOf } from './api-auth.js';
import { jsonAnswer, jsonBody, refusals, type ApiDescription } from './api-description.js';

/** A script to speak, as the studio sends it (its length is checked against VT_SCRIPT_MAX_CHARS). */
export const NarrationInputSchema = z
  .object({
    script: z.string().max(1_000_000),
    language: ScriptLanguageSchema,
    voice: z.string().min(1).max(100),
  })
  .strict();
export type NarrationInput = z.infer<typeof NarrationInputSchema>;

const VoicesSchema = z.object({
  voices: z.array(z.object({ id: z.string(), language: z.string(), label: z.string() })),
  maxScriptChars: z.number().int(),
});
const SpokenSchema = z.object({
  audio: z.string().meta({ description: 'The spoken voice: an audio asset’s sha256, to render from.' }),
  durationSec: z.number(),
  sentences: z.number().int(),
  synthesized: z.number().int().meta({ description: 'Sentences spoken now (the rest came from the cache).' }),
  captions: z.array(z.object({ start: z.number(), end: z.number(), text: z.string() })),
  chapters: z.array(z.object({ title: z.string(), start: z.number() })),
});

export const describeSpeechRoutes: ApiDescription = (r) => {
  r.registerPath({
    method: 'get',
    path: '/api/speech/voices',
    operationId: 'listVoices',
    summary: 'The voices scripts can be spoken in',
    responses: { 200: jsonAnswer(VoicesSchema, 'The voices.'), ...refusals(401) },
  });
  r.registerPath({
    method: 'post',
    path: '/api/speech/preview',
    operationId: 'speakScript',
    summary: 'Speak a script, to hear it before rendering',
    request: { body: jsonBody(NarrationInputSchema) },
    responses: { 200: jsonAnswer(SpokenSchema, 'Spoken and stored.'), ...refusals(400, 401, 422) },
  });
};

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
