import MarkdownIt from 'markdown-it';
import type Token from 'markdown-it/lib/token.mjs';
import type { ScriptLanguage } from './languages.js';

/** A part of the script under one heading (the part before the first heading has no title). */
export interface ScriptChapter {
  readonly title?: string;
  /** Paragraphs (and list items), each as its sentences. */
  readonly paragraphs: readonly (readonly string[])[];
}

export interface Script {
  readonly language: ScriptLanguage;
  readonly chapters: readonly ScriptChapter[];
  /**
   * The script's question blocks (```question fences), not spoken: each with the number of spoken
   * parts (headings and paragraphs) before it, which says where in the voice it stands.
   */
  readonly questions: readonly { readonly afterParts: number; readonly source: string }[];
}

/** What the author can fix: nothing to say, too much, or (a transcript) a recording without speech. */
export type ScriptProblem = 'empty' | 'too-long' | 'no-speech' | 'question';

export class ScriptError extends Error {
  constructor(
    readonly problem: ScriptProblem,
    message: string,
  ) {
    super(message);
  }
}

/** Sentences longer than this are cut at a clause boundary: one caption cue, one synthesis call each. */
const MAX_SENTENCE_CHARS = 220;

// HTML is recognised (so it can be dropped) but never rendered: the script is only ever spoken and
// captioned as plain text.
const markdown = new MarkdownIt({ html: true });

/**
 * An author's Markdown script as what will be said: headings become chapters, paragraphs and list
 * items keep their sentences (split by the language's rules, Intl.Segmenter). HTML tags, and the
 * contents of script and style elements, are dropped; code blocks are not read aloud, and
 * ```question blocks are the lesson's questions (`questions/script-questions.ts` reads them).
 */
export function parseScript(source: string, language: ScriptLanguage, maxChars: number): Script {
  if (source.length > maxChars)
    throw new ScriptError(
      'too-long',
      `The script has ${source.length} characters; the limit is ${maxChars}. Split it into several lessons.`,
    );
  const segmenter = new Intl.Segmenter(language, { granularity: 'sentence' });
  const chapters: { title?: string; paragraphs: string[][] }[] = [];
  let chapter: { title?: string; paragraphs: string[][] } | undefined;
  const questions: { afterParts: number; source: string }[] = [];
  let parts = 0;
  const tokens = markdown.parse(source, {});
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.type === 'heading_open') {
      const title = plainText(tokens[i + 1]!);
      chapter = { title: title || undefined, paragraphs: [] };
      chapters.push(chapter);
      if (title) parts++;
      i += 2;
    } else if (token.type === 'fence' && token.info.trim() === 'question') {
      questions.push({ afterParts: parts, source: token.content });
    } else if (token.type === 'inline' || token.type === 'html_block') {
      const text = token.type === 'inline' ? plainText(token) : withoutTags(token.content);
      const sentences = sentencesOf(text, segmenter);
      if (!sentences.length) continue;
      if (!chapter) chapters.push((chapter = { paragraphs: [] }));
      chapter.paragraphs.push(sentences);
      parts++;
    }
  }
  const spoken = chapters.filter((c) => c.paragraphs.length || c.title);
  if (!spoken.some((c) => c.paragraphs.length || c.title))
    throw new ScriptError('empty', 'The script has nothing to say: write at least one sentence.');
  return { language, chapters: spoken, questions };
}

/** Every sentence of the script in order, with where it is; a heading is said first (paragraph -1). */
export function sentencesIn(script: Script): { chapter: number; paragraph: number; text: string }[] {
  return script.chapters.flatMap((c, chapter) => [
    ...(c.title ? [{ chapter, paragraph: -1, text: c.title }] : []),
    ...c.paragraphs.flatMap((p, paragraph) => p.map((text) => ({ chapter, paragraph, text }))),
  ]);
}

/** The text of an inline token: text, code spans and image alt texts; inline HTML is dropped. */
function plainText(inline: Token): string {
  let text = '';
  for (const child of inline.children ?? []) {
    if (child.type === 'text' || child.type === 'code_inline') text += child.content;
    else if (child.type === 'softbreak' || child.type === 'hardbreak') text += ' ';
    else if (child.type === 'image') text += plainText(child);
    else if (child.type === 'html_inline') text += ' ';
  }
  return text.replace(/\s+/g, ' ').trim();
}

/** The text of an HTML block, its tags, scripts, styles and comments removed. */
function withoutTags(htmlText: string): string {
  return htmlText
    .replace(/<(script|style)\b[\s\S]*?(<\/\1\s*>|$)/gi, ' ')
    .replace(/<!--[\s\S]*?(-->|$)/g, ' ')
    .replace(/<[^>]*>?/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function sentencesOf(text: string, segmenter: Intl.Segmenter): string[] {
  return [...segmenter.segment(text)]
    .map((s) => s.segment.trim())
    .filter((s) => /[\p{L}\p{N}]/u.test(s))
    .flatMap(cutLong);
}

/** Clause marks a too-long sentence is cut after, in both languages. */
const CLAUSE_MARKS = [',', ';', ':', '，', '；', '：', '、'];

/** A too-long sentence cut at clause marks (or, failing those, spaces), each part at most the limit. */
const cutLong = (sentence: string): string[] => splitText(sentence, MAX_SENTENCE_CHARS, CLAUSE_MARKS);

/**
 * `text` in pieces of at most `max` characters, each cut after the last of `marks` or space in it,
 * or at `max` itself when none falls past the piece's first third.
 */
export function splitText(text: string, max: number, marks: readonly string[]): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    const at = Math.max(window.lastIndexOf(' '), ...marks.map((m) => window.lastIndexOf(m)));
    const cut = at > max / 3 ? at + 1 : max;
    pieces.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) pieces.push(rest);
  return pieces;
}
