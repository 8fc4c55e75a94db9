/**
 * How a typed answer is compared with the accepted ones: the same words however they were typed.
 *
 * - NFKC folds full-width Latin letters, digits and punctuation to their half-width forms (what a
 *   Chinese input method types: "ＧＤＰＲ" is "GDPR", "１２" is "12", "\u3000" is a space) and composed
 *   forms to one spelling.
 * - Case is folded without a locale (the Turkish dotless i is not special here).
 * - Runs of white space become one space; spaces between Chinese characters are dropped, since
 *   Chinese is written without them ("数据 保护" is "数据保护").
 * - Sentence punctuation, quotes and brackets at either end are dropped ("Fire exit." and "fire exit",
 *   "「出口」。" and "出口"); symbols that carry meaning stay ("C++", "50%").
 *
 * Chinese is compared as characters: no pinyin, so 数据 is not "shuju".
 */
const EDGE = `\\s.,!?;:'"\`()\\[\\]{}<>…·。、「」『』《》〈〉【】“”‘’`;
const EDGE_PUNCTUATION = new RegExp(`^[${EDGE}]+|[${EDGE}]+$`, 'gu');
const HAN = '\\p{Script=Han}';
const SPACE_BETWEEN_HAN = new RegExp(`(?<=${HAN}) (?=${HAN})`, 'gu');

export function normaliseAnswer(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/gu, ' ')
    .replace(EDGE_PUNCTUATION, '')
    .replace(SPACE_BETWEEN_HAN, '');
}

/** Whether `typed` says one of `accepted`, once both are normalised. An empty answer matches nothing. */
export function matchesAccepted(typed: string, accepted: readonly string[]): boolean {
  const t = normaliseAnswer(typed);
  return t !== '' && accepted.some((a) => normaliseAnswer(a) === t);
}
