import { z } from 'zod';

/** The languages a script may be written, spoken and captioned in (each has an offline voice). */
export const SCRIPT_LANGUAGES = ['en', 'zh'] as const;
export type ScriptLanguage = (typeof SCRIPT_LANGUAGES)[number];
export const ScriptLanguageSchema = z.enum(SCRIPT_LANGUAGES);

/** Each language's name in itself: how a learner recognises their own in a list. */
export const LANGUAGE_NAMES: Readonly<Record<ScriptLanguage, string>> = {
  en: 'English',
  zh: '中文（普通话）',
};
