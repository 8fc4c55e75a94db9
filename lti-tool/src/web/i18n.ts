import type { Request } from 'express';

export type Lang = 'en' | 'zh';

/** The reader's language from Accept-Language (Chinese or English; English when unsure). */
export function langOf(req: Request): Lang {
  return req.acceptsLanguages('en', 'zh', 'zh-CN', 'zh-TW')?.toString().startsWith('zh') ? 'zh' : 'en';
}

/** One text in both languages. */
export type Bilingual = Readonly<Record<Lang, string>>;
export const t = (lang: Lang, text: Bilingual): string => text[lang];

/** Sentences one after another: spaced in English, run together in Chinese (written without spaces). */
export const sentences = (...texts: readonly Bilingual[]): Bilingual => ({
  en: texts.map((x) => x.en).join(' '),
  zh: texts.map((x) => x.zh).join(''),
});
