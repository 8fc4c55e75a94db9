import type { AnswerComposer, ComposeInput, ComposedAnswer } from './answer-composer.js';
import type { FoundPassage } from './passage-index.js';
import { wordsOf } from './text-words.js';

/** How much an extractive answer says: about fifteen seconds spoken. */
const MAX_CHARS = { en: 260, zh: 90 } as const;
/** Passages quoted at most, and how close to the best one's score a second must come. */
const MAX_PASSAGES = 2;
const SECOND_PASSAGE_SHARE = 0.6;

const sentenceSegmenter = new Intl.Segmenter('zh', { granularity: 'sentence' });

/** Whether two words are the same word, give or take an English ending ("passwords", "password"). */
const sameWord = (a: string, b: string): boolean =>
  a === b ||
  (a.length >= 4 && b.length >= 4 && (a.startsWith(b.slice(0, -1)) || b.startsWith(a.slice(0, -1))));

/**
 * The default composer, which needs nothing outside the tool: the best passages' sentences that share
 * the most words with the question, in their order, trimmed to about fifteen seconds of speech, each
 * passage's sentences followed by its citation.
 */
export class ExtractiveComposer implements AnswerComposer {
  readonly name = 'extractive' as const;

  async compose(input: ComposeInput): Promise<ComposedAnswer | undefined> {
    const best = input.passages[0];
    if (!best) return undefined;
    const chosen = input.passages
      .filter((p) => p.kind !== 'title')
      .filter((p, i) => i === 0 || p.score >= best.score * SECOND_PASSAGE_SHARE)
      .slice(0, MAX_PASSAGES);
    if (!chosen.length) return undefined;
    const asked = wordsOf(input.question);
    const budget = MAX_CHARS[input.language];
    const pieces: { text: string; n: number }[] = [];
    let used = 0;
    chosen.forEach((p, i) => {
      const sentences = this.bestSentences(p, asked);
      for (const s of sentences) {
        if (used && used + s.length > budget) return;
        pieces.push({ text: s, n: i + 1 });
        used += s.length;
      }
    });
    if (!pieces.length) return undefined;
    const space = input.language === 'zh' ? '' : ' ';
    const byPassage = chosen
      .map((_, i) => pieces.filter((p) => p.n === i + 1))
      .filter((ps) => ps.length)
      .map((ps) => `${ps.map((p) => p.text).join(space)} [${ps[0]!.n}]`);
    const text = byPassage.join(space);
    return { text, spoken: pieces.map((p) => p.text).join(space), cited: chosen };
  }

  /** The passage's sentences that share words with the question, best two, in the passage's order. */
  private bestSentences(p: FoundPassage, asked: readonly string[]): string[] {
    const sentences = [...sentenceSegmenter.segment(p.text)].map((s) => s.segment.trim()).filter(Boolean);
    const scored = sentences.map((s, i) => {
      const words = new Set(wordsOf(s));
      const shared = asked.filter((a) => [...words].some((w) => sameWord(a, w))).length;
      return { s, i, shared };
    });
    const top = scored
      .filter((x) => x.shared > 0)
      .sort((a, b) => b.shared - a.shared || a.i - b.i)
      .slice(0, 2);
    const picked = top.length ? top : scored.slice(0, 1);
    return picked.sort((a, b) => a.i - b.i).map((x) => x.s);
  }
}
