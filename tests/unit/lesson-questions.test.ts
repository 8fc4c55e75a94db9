import fc from 'fast-check';
import { answerFits, checkAnswer } from '../../lti-tool/src/questions/answer-check.js';
import { matchesAccepted, normaliseAnswer } from '../../lti-tool/src/questions/answer-normalisation.js';
import { questionStanding, type GivenAnswer } from '../../lti-tool/src/questions/question-score.js';
import {
  askedOf,
  questionKey,
  QuestionSchema,
  QuestionSetSchema,
  type Question,
} from '../../lti-tool/src/questions/question-set.js';
import { gradeOf, isComplete } from '../../lti-tool/src/progress/grade-policy.js';
import { parseScript, ScriptError } from '../../lti-tool/src/narration/script.js';
import { parseQuestionBlock, scriptQuestions } from '../../lti-tool/src/questions/script-questions.js';

/** Questions inside lessons, in milliseconds: how answers are read, checked and scored. */
const q = (input: unknown): Question => QuestionSchema.parse(input);
const single = q({
  kind: 'single',
  at: 12,
  prompt: 'Where do pallets stay?',
  points: 2,
  choices: [
    { id: 'a', text: 'In the aisle', correct: false, feedback: 'Aisles stay clear.' },
    { id: 'b', text: 'Behind the yellow line', correct: true },
  ],
  feedback: { correct: 'Right.', incorrect: 'Not quite.' },
});
const multiple = q({
  kind: 'multiple',
  at: 20,
  prompt: 'Which are exits?',
  choices: [
    { id: 'n', text: 'North door', correct: true },
    { id: 's', text: 'South door', correct: true },
    { id: 'w', text: 'Window', correct: false, feedback: 'Never a window.' },
  ],
});
const truth = q({ kind: 'truefalse', at: 30, prompt: 'Fire doors may be propped open.', answer: false });
const typed = q({
  kind: 'text',
  at: 40,
  prompt: 'What law protects personal data?',
  accepted: ['GDPR', '数据保护法'],
});

describe('typed answers are compared as the same words however they were typed', () => {
  it.each([
    ['ＧＤＰＲ', 'gdpr'], // full-width Latin from a Chinese input method
    ['  Fire   Exit! ', 'fire exit'],
    ['「出口」。', '出口'],
    ['数据　保护 法', '数据保护法'], // an ideographic space, and spaces between Chinese characters
    ['１２ kg', '12 kg'],
    ['"exit"?', 'exit'],
    ['C++', 'c++'], // symbols that carry meaning stay
    ['50%', '50%'],
    ['Data 保护', 'data 保护'], // a space between Latin and Chinese stays
  ])('%j reads as %j', (typedText, read) => {
    expect(normaliseAnswer(typedText)).toBe(read);
  });

  it('accepts any accepted spelling and refuses an empty or different answer', () => {
    expect(matchesAccepted('gdpr.', ['GDPR'])).toBe(true);
    expect(matchesAccepted('数据保护法。', ['GDPR', '数据保护法'])).toBe(true);
    expect(matchesAccepted('shuju baohu fa', ['数据保护法'])).toBe(false); // no pinyin
    expect(matchesAccepted(' … ', ['…'])).toBe(false);
    expect(matchesAccepted('GDP', ['GDPR'])).toBe(false);
  });
});

describe('answers are checked on the server', () => {
  it('gives a single choice its points and the chosen choice its feedback', () => {
    expect(checkAnswer(single, { choice: 'b' })).toEqual({ correct: true, points: 2, feedback: 'Right.' });
    expect(checkAnswer(single, { choice: 'a' })).toEqual({
      correct: false,
      points: 0,
      feedback: 'Aisles stay clear.',
    });
  });

  it('counts a multiple choice right only when exactly right, and says why a wrong pick is wrong', () => {
    expect(checkAnswer(multiple, { choices: ['s', 'n'] }).correct).toBe(true);
    expect(checkAnswer(multiple, { choices: ['n'] }).correct).toBe(false);
    expect(checkAnswer(multiple, { choices: ['n', 's', 'w'] })).toMatchObject({
      correct: false,
      feedback: 'Never a window.',
    });
  });

  it('checks true/false and typed answers', () => {
    expect(checkAnswer(truth, { value: false }).correct).toBe(true);
    expect(checkAnswer(truth, { value: true }).correct).toBe(false);
    expect(checkAnswer(typed, { text: 'ｇｄｐｒ。' }).correct).toBe(true);
  });

  it('refuses an answer that does not fit its question', () => {
    expect(answerFits(single, { choice: 'z' })).toBe(false);
    expect(answerFits(single, { text: 'b' })).toBe(false);
    expect(answerFits(multiple, { choices: ['n', 'n'] })).toBe(false);
    expect(answerFits(truth, { choice: 'a' })).toBe(false);
    expect(answerFits(typed, { value: true })).toBe(false);
  });

  it('never tells the player what is right, or any feedback, before an answer', () => {
    for (const question of [single, multiple, truth, typed]) {
      const asked = JSON.stringify(askedOf(question));
      expect(asked).not.toMatch(/correct|feedback|accepted|"answer"/);
      expect(asked).not.toContain('GDPR');
    }
  });
});

describe('questions are authored with their rules', () => {
  it('refuses a single choice with two right choices, and repeated choice ids', () => {
    const base = { kind: 'single', at: 1, prompt: 'Which?' };
    expect(
      QuestionSchema.safeParse({
        ...base,
        choices: [
          { id: 'a', text: 'A', correct: true },
          { id: 'b', text: 'B', correct: true },
        ],
      }).success,
    ).toBe(false);
    expect(
      QuestionSchema.safeParse({
        ...base,
        choices: [
          { id: 'a', text: 'A', correct: true },
          { id: 'a', text: 'B', correct: false },
        ],
      }).success,
    ).toBe(false);
  });

  it('refuses two questions that ask the same thing', () => {
    expect(QuestionSetSchema.safeParse({ questions: [truth, { ...truth, at: 50 }] }).success).toBe(false);
  });

  it("keys a question by what is asked: moving it or rewording feedback keeps learners' answers", () => {
    expect(questionKey({ ...single, at: 99, feedback: { correct: 'Yes!' } })).toBe(questionKey(single));
    expect(questionKey({ ...single, prompt: 'Where do pallets go?' })).not.toBe(questionKey(single));
    expect(questionKey({ ...single, points: 3 })).not.toBe(questionKey(single));
    expect(questionKey({ ...typed, accepted: ['GDPR'] } as Question)).not.toBe(questionKey(typed));
  });
});

describe("a learner's score on the questions", () => {
  const set = (counts: 'best' | 'last', max = 3) =>
    QuestionSetSchema.parse({ questions: [single, multiple], attempts: { max, counts } });
  const a = (question: Question, attempt: number, correct: boolean): GivenAnswer => ({
    key: questionKey(question),
    attempt,
    correct,
    points: correct ? question.points : 0,
  });

  it('counts the best or the last attempt, as the lesson says', () => {
    const answers = [a(single, 1, true), a(single, 2, false), a(multiple, 1, false)];
    expect(questionStanding(set('best'), answers)).toMatchObject({ earned: 2, total: 3 });
    expect(questionStanding(set('last'), answers)).toMatchObject({ earned: 0, total: 3 });
  });

  it('is done with a question answered right or out of attempts, and not before', () => {
    const s = set('best', 2);
    expect(questionStanding(s, [a(multiple, 1, false)]).done).toEqual([]);
    expect(questionStanding(s, [a(multiple, 1, false), a(multiple, 2, false)]).done).toEqual([
      questionKey(multiple),
    ]);
    expect(questionStanding(s, [a(single, 1, true)]).done).toEqual([questionKey(single)]);
  });

  it('ignores answers to a question the lesson no longer asks', () => {
    const changed = { ...a(single, 1, true), key: 'gone-question-key' };
    expect(questionStanding(set('best'), [changed])).toMatchObject({ earned: 0, total: 3, score: 0 });
  });
});

describe('the lesson grade from watching and questions', () => {
  const share = fc.double({ min: 0, max: 1, noNaN: true });
  const rule = fc.record({ watchingWeight: share, passThreshold: share });

  it('is bounded by 0 and 1, and is coverage alone without questions', () => {
    fc.assert(
      fc.property(share, rule, share, (coverage, r, score) => {
        const g = gradeOf(coverage, r, score);
        return g >= 0 && g <= 1 && gradeOf(coverage) === coverage;
      }),
    );
  });

  it('never falls when coverage or the question score grows', () => {
    fc.assert(
      fc.property(share, share, rule, share, share, (c1, c2, r, s1, s2) => {
        const [lo, hi] = c1 <= c2 ? [c1, c2] : [c2, c1];
        const [slo, shi] = s1 <= s2 ? [s1, s2] : [s2, s1];
        return gradeOf(lo, r, slo) <= gradeOf(hi, r, slo) && gradeOf(lo, r, slo) <= gradeOf(lo, r, shi);
      }),
    );
  });

  it('weighs 30 % watching and 70 % questions as set, and completes only past both thresholds', () => {
    const r = { watchingWeight: 0.3, passThreshold: 0.6 };
    expect(gradeOf(1, r, 0.5)).toBeCloseTo(0.65);
    expect(isComplete(0.95, 0.9, r, 0.5)).toBe(false);
    expect(isComplete(0.95, 0.9, r, 0.6)).toBe(true);
    expect(isComplete(0.8, 0.9, r, 1)).toBe(false);
    expect(isComplete(0.95, 0.9)).toBe(true);
  });
});

describe('question blocks in a script', () => {
  it('reads choices (one right: single, more: multiple), their feedback, points, optional and feedback', () => {
    expect(
      parseQuestionBlock(
        [
          'Which are exits?',
          '- [x] North door',
          '  Marked green.',
          '- [X] South door',
          '- [ ] Window',
          '  Never a window.',
          'points: 3',
          'optional',
          'right：Well done.',
          'wrong: Look at the plan again.',
        ].join('\n'),
        1,
      ),
    ).toEqual({
      kind: 'multiple',
      prompt: 'Which are exits?',
      points: 3,
      required: false,
      feedback: { correct: 'Well done.', incorrect: 'Look at the plan again.' },
      choices: [
        { id: 'c1', text: 'North door', correct: true, feedback: 'Marked green.' },
        { id: 'c2', text: 'South door', correct: true },
        { id: 'c3', text: 'Window', correct: false, feedback: 'Never a window.' },
      ],
    });
    expect(parseQuestionBlock('Where?\n- [ ] A\n- [x] B', 1)).toMatchObject({ kind: 'single' });
  });

  it('reads typed answers and true/false statements, in any language', () => {
    expect(parseQuestionBlock('哪部法律保护个人数据？\n= GDPR\n= 数据保护法', 1)).toMatchObject({
      kind: 'text',
      prompt: '哪部法律保护个人数据？',
      accepted: ['GDPR', '数据保护法'],
    });
    expect(parseQuestionBlock('Fire doors may be\npropped open.\nanswer: False', 1)).toMatchObject({
      kind: 'truefalse',
      prompt: 'Fire doors may be propped open.',
      answer: false,
    });
  });

  it.each([
    ['Which?', 'give choices'],
    ['Which?\n- [x] A\n= A', 'give choices'],
    ['Which?\n- [x] A\n- [ ] B\nstray words', '"stray words" is neither'],
    ['Which?\n- [ ] A\n- [ ] B', 'at least one right choice'],
    ['Which?\n= A\npoints: many', 'points must be a whole number'],
    ['- [x] A\n- [ ] B', 'prompt'],
  ])('refuses %j, saying which block and why', (source, why) => {
    expect(() => parseQuestionBlock(source, 2)).toThrow(ScriptError);
    expect(() => parseQuestionBlock(source, 2)).toThrow(/^Question block 2: /);
    expect(() => parseQuestionBlock(source, 2)).toThrow(why);
  });

  it('stands where it is written: after so many spoken parts, not spoken itself', () => {
    const script = parseScript(
      [
        'Intro.',
        '```question\nFirst?\nanswer: true\n```',
        '# Part',
        'More.',
        '```question\nLast?\nanswer: false\n```',
      ].join('\n\n'),
      'en',
      10_000,
    );
    expect(script.questions.map((q) => q.afterParts)).toEqual([1, 3]);
    expect(JSON.stringify(script.chapters)).not.toContain('First?');
    const questions = scriptQuestions(script, [0, 2.5, 4], 9.25);
    expect(questions.map((q) => q.at)).toEqual([2.5, 9.25]);
  });
});
