import type { FoundPassage } from './passage-index.js';

/**
 * Words that address a language model rather than a learner: course text is data, and a passage
 * carrying them (pasted from elsewhere, or planted) must not steer the composer.
 */
const ADDRESSES_A_MODEL = [
  /\b(ignore|disregard|forget|override)\b[^.!?。！？]{0,40}\b(instructions?|prompts?|rules|above|previous|prior)\b/i,
  /\b(system prompt|you are now|act as|new instructions|developer mode|jailbreak)\b/i,
  /(忽略|无视|忘记)[^。！？]{0,20}(指令|指示|提示|规则|要求)/,
  /(系统提示|你现在是|扮演)/,
];

const sentences = new Intl.Segmenter('zh', { granularity: 'sentence' });

/**
 * The passage up to the first sentence that addresses a model (what follows such a sentence is the
 * instruction itself); undefined when nothing is left. The extractive and the LLM composer both see
 * only what this keeps.
 */
export function withoutInstructions(p: FoundPassage): FoundPassage | undefined {
  const kept: string[] = [];
  for (const s of sentences.segment(p.text)) {
    if (ADDRESSES_A_MODEL.some((r) => r.test(s.segment))) break;
    kept.push(s.segment);
  }
  const text = kept.join('').trim();
  if (text === p.text) return p;
  return text ? { ...p, text } : undefined;
}
