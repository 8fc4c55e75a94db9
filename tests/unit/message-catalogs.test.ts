import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { en } from '../../lti-tool/src/messages/en.js';
import { zh } from '../../lti-tool/src/messages/zh.js';
import { REPO } from '../helpers/paths.js';

/**
 * The message catalogs agree: every key in both languages, the same placeholders used by both, Chinese
 * where it should be, no key nobody shows, and no text left inline in the code. The compiler checks
 * the keys and parameter types; this checks what it cannot (a translation may ignore a parameter).
 */
type Entry = string | ((...args: never[]) => string);
type Tree = { readonly [key: string]: Entry | Tree };

const SRC = join(REPO, 'lti-tool/src');

function entries(tree: Tree, path: string[] = []): [string, Entry][] {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === 'object' ? entries(v, [...path, k]) : [[[...path, k].join('.'), v] as [string, Entry]],
  );
}

/** A text function's parameter names, as written. */
const paramsOf = (f: (...a: never[]) => string): string[] => {
  const head = /^\(?([^)=]*)\)?\s*=>/.exec(f.toString())?.[1] ?? '';
  return head
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
};
const bodyOf = (f: (...a: never[]) => string): string => f.toString().replace(/^[^=]*=>/, '');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

const english = new Map(entries(en as unknown as Tree));
const chinese = new Map(entries(zh as unknown as Tree));
const CJK = /[\u3400-\u9fff]/;

describe('the message catalogs', () => {
  it('have the same keys in English and Chinese', () => {
    expect([...chinese.keys()].sort()).toEqual([...english.keys()].sort());
    expect(english.size).toBeGreaterThan(250);
  });

  it('give a text with placeholders the same parameters in both languages, and each language uses every one', () => {
    const wrong: string[] = [];
    for (const [key, e] of english) {
      const z = chinese.get(key)!;
      if (typeof e !== typeof z) wrong.push(`${key}: a text in one language, a function in the other`);
      if (typeof e !== 'function' || typeof z !== 'function') continue;
      if (paramsOf(e).join() !== paramsOf(z).join())
        wrong.push(`${key}: (${paramsOf(e)}) vs (${paramsOf(z)})`);
      for (const [lang, f] of [
        ['en', e],
        ['zh', z],
      ] as const)
        for (const p of paramsOf(f))
          if (!new RegExp(`\\b${p}\\b`).test(bodyOf(f))) wrong.push(`${key}: ${lang} ignores ${p}`);
    }
    expect(wrong).toEqual([]);
  });

  it('have every Chinese text in Chinese, unless it is a term both languages write alike', () => {
    const sample = (f: (...a: never[]) => string): string =>
      (f as (...a: unknown[]) => string)(...paramsOf(f).map((_, i) => (i % 2 ? 2 : 'x')));
    const untranslated: string[] = [];
    for (const [key, z] of chinese) {
      const e = english.get(key)!;
      const [zt, et] = typeof z === 'function' ? [sample(z), sample(e as typeof z)] : [z, e as string];
      if (!zt.trim()) untranslated.push(`${key}: empty`);
      else if (!CJK.test(zt) && zt !== et) untranslated.push(`${key}: ${zt}`);
    }
    expect(untranslated).toEqual([]);
  });

  it('hold no key the tool never shows', () => {
    const code = sources(SRC)
      .filter((f) => !f.includes('/messages/'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const unused = [...english.keys()].filter(
      (k) => !new RegExp(`\\bmsg\\.${k.replace('.', '\\.')}\\b`).test(code),
    );
    expect(unused).toEqual([]);
  });

  it('are the only place the tool’s texts are written: no { en, zh } pair is left inline', () => {
    const inline = sources(SRC)
      // Language names keyed by the script's language, each in its own (an endonym), not a UI text.
      .filter((f) => !f.includes('/messages/') && !f.endsWith('narration/languages.ts'))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${relative(SRC, f)}:${i + 1}` })),
      )
      .filter(({ line }) => /\b(en|zh):\s*['"`]/.test(line))
      .map(({ at, line }) => `${at} ${line.trim()}`);
    expect(inline).toEqual([]);
  });
});
