import { problemsOf } from '../../../common/zod-problems.js';
import { ScriptError, type Script } from '../narration/script.js';
import { QuestionSchema, type Question, type Translation } from './question-set.js';

/**
 * A question written in a script, where it stands (docs/questions.md has the syntax):
 *
 *     ```question
 *     Where do pallets stay?
 *     - [ ] In the aisle
 *       Aisles stay clear.
 *     - [x] Behind the yellow line
 *     points: 2
 *     ```
 *
 * The first lines are the question; `- [x]` / `- [ ]` lines are its right and wrong choices (one
 * right: single choice, more: multiple), an indented line under a choice is what a learner who chose
 * it is told; `= text` lines are accepted typed answers; `answer: true` or `false` makes it a
 * true/false statement. `points: n`, `optional`, `right: …` and `wrong: …` (feedback) are optional.
 * Keywords are English; everything else is in the script's language. Choices are numbered c1, c2…
 * in order, so a translated script's blocks line up with the original's.
 */
export function parseQuestionBlock(source: string, n: number): Translation {
  const fail = (why: string): never => {
    throw new ScriptError('question', `Question block ${n}: ${why}`);
  };
  const prompt: string[] = [];
  const choices: { id: string; text: string; correct: boolean; feedback?: string }[] = [];
  const accepted: string[] = [];
  const feedback: { correct?: string; incorrect?: string } = {};
  let answer: boolean | undefined;
  let points = 1;
  let required = true;
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const choice = /^[-*]\s*\[( |x|X)\]\s*(.+)$/.exec(line);
    const option = /^(points|answer|right|wrong)\s*[:：]\s*(.*)$/i.exec(line);
    if (choice) choices.push({ id: `c${choices.length + 1}`, text: choice[2]!, correct: choice[1] !== ' ' });
    else if (/^\s+\S/.test(raw) && choices.length && !option)
      choices.at(-1)!.feedback = [choices.at(-1)!.feedback, line].filter(Boolean).join(' ');
    else if (line.startsWith('=')) accepted.push(line.slice(1).trim());
    else if (/^optional$/i.test(line)) required = false;
    else if (option) {
      const [key, value] = [option[1]!.toLowerCase(), option[2]!.trim()];
      if (key === 'points')
        points = /^\d+$/.test(value) ? Number(value) : fail(`points must be a whole number.`);
      else if (key === 'answer')
        answer = /^(true|false)$/i.test(value)
          ? value.toLowerCase() === 'true'
          : fail('answer is true or false.');
      else if (key === 'right') feedback.correct = value;
      else feedback.incorrect = value;
    } else if (!choices.length && !accepted.length) prompt.push(line);
    else fail(`"${line}" is neither a choice, an accepted answer nor an option.`);
  }
  const kinds = [choices.length > 0, accepted.length > 0, answer !== undefined].filter(Boolean).length;
  if (kinds !== 1)
    fail('give choices (- [x] / - [ ]), accepted answers (= …) or answer: true/false, one of them.');
  const base = { at: 0, prompt: prompt.join(' '), points, required, feedback };
  const parsed = QuestionSchema.safeParse(
    choices.length
      ? { ...base, kind: choices.filter((c) => c.correct).length === 1 ? 'single' : 'multiple', choices }
      : accepted.length
        ? { ...base, kind: 'text', accepted }
        : { ...base, kind: 'truefalse', answer },
  );
  if (!parsed.success) fail(problemsOf(parsed.error).join('; '));
  const { at: _at, ...question } = parsed.data!;
  return question as Translation;
}

/**
 * The script's questions, each at the start of the spoken part after it (`parts`: where each part of
 * the voice starts), or at the end of the voice when nothing is said after it.
 */
export function scriptQuestions(script: Script, parts: readonly number[], durationSec: number): Question[] {
  return script.questions.map((q, i) => ({
    ...parseQuestionBlock(q.source, i + 1),
    at: Math.round((parts[q.afterParts] ?? durationSec) * 1000) / 1000,
  })) as Question[];
}
