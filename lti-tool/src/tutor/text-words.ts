/**
 * Text as words, in both languages at once: Intl.Segmenter (ICU's dictionary) finds the word
 * boundaries Chinese does not write, and passes English words through. The words, joined by spaces,
 * are what PostgreSQL's English text search parses (stemming English, keeping Chinese words whole),
 * so a passage and a question are cut the same way.
 */
const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });
const HAN = /\p{Script=Han}/u;

/**
 * Chinese words that carry no topic (PostgreSQL's English configuration already drops English
 * ones): question words, particles, pronouns. Left in, "什么是…" would match every definition.
 */
const CHINESE_STOP_WORDS = new Set(
  (
    '的 了 是 在 和 与 或 及 吗 呢 吧 啊 呀 么 嘛 我 你 您 他 她 它 我们 你们 他们 这 那 这个 那个 这些 那些 ' +
    '什么 怎么 怎样 怎么样 如何 为什么 为何 哪 哪里 哪些 哪个 多少 几 谁 请问 请 一个 一下 有 没有 要 会 能 ' +
    '可以 应该 需要 就 都 也 还 又 很 把 被 对 从 到 给 让 上 中 下 个 之 其 吗？ 时 时候 里 等'
  ).split(' '),
);

/**
 * The words of `text`, lower-cased, Chinese stop words left out (the search's input). Where ICU's
 * dictionary knows no word it cuts Chinese into single characters ("重置" → 重|置); each pair of
 * such neighbours is added as a word too, so the pair matches as the word it is.
 */
export function wordsOf(text: string): string[] {
  const words: string[] = [];
  let single: string | undefined;
  for (const s of segmenter.segment(text.normalize('NFKC'))) {
    if (!s.isWordLike) {
      single = undefined;
      continue;
    }
    const w = s.segment.toLowerCase();
    const han = [...w].length === 1 && HAN.test(w);
    if (han && single) words.push(single + w);
    single = han ? w : undefined;
    if (!CHINESE_STOP_WORDS.has(w)) words.push(w);
  }
  return words;
}

/** `text` as the search reads it: its words separated by spaces. */
export const searchableText = (text: string): string => wordsOf(text).join(' ');

/** Whether the text is Chinese (any Han character), which decides the answer's language. */
export const isChinese = (text: string): boolean => HAN.test(text);
