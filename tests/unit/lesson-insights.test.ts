import { intersect, perSecond } from '../../lti-tool/src/progress/coverage.js';
import type { LessonAnswer } from '../../lti-tool/src/questions/answer-repository.js';
import { learnerResults, questionStats } from '../../lti-tool/src/questions/question-stats.js';
import { questionKey, QuestionSetSchema } from '../../lti-tool/src/questions/question-set.js';

/** What the dashboard shows of one lesson, computed in milliseconds: engagement and question statistics. */
describe('engagement, second by second', () => {
  it('counts the learners whose intervals cover each second', () => {
    // A 5 s lesson: one learner watched it all, one dropped off at 2.2 s, one skipped to 3 s.
    expect(perSecond([[[0, 5]], [[0, 2.2]], [[3, 5]]], 5)).toEqual([2, 2, 1, 2, 2]);
    expect(perSecond([], 3)).toEqual([0, 0, 0]);
    expect(perSecond([[[0, 10]]], 0)).toEqual([]);
  });

  it('finds what was played again', () => {
    expect(
      intersect(
        [[1, 4]],
        [
          [0, 2],
          [3, 10],
        ],
      ),
    ).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(intersect([[5, 6]], [[0, 2]])).toEqual([]);
  });
});

describe('question statistics', () => {
  const set = QuestionSetSchema.parse({
    questions: [
      {
        kind: 'single',
        at: 10,
        prompt: 'Where do pallets stay?',
        choices: [
          { id: 'a', text: 'In the aisle', correct: false },
          { id: 'b', text: 'Behind the line', correct: true },
          { id: 'c', text: 'On the stairs', correct: false },
        ],
      },
      { kind: 'text', at: 20, prompt: 'Which law?', accepted: ['GDPR'] },
    ],
    attempts: { max: 3 },
  });
  const [single, typed] = set.questions.map(questionKey) as [string, string];
  const a = (
    userId: string,
    key: string,
    attempt: number,
    correct: boolean,
    answer: LessonAnswer['answer'],
    secondsToAnswer?: number,
  ): LessonAnswer => ({ userId, key, attempt, correct, points: correct ? 1 : 0, answer, secondsToAnswer });
  const answers = [
    a('u1', single, 1, false, { choice: 'a' }, 8),
    a('u1', single, 2, true, { choice: 'b' }, 3),
    a('u2', single, 1, true, { choice: 'b' }, 4),
    a('u3', single, 1, false, { choice: 'a' }, 12),
    a('u3', single, 2, false, { choice: 'c' }),
    a('u1', typed, 1, false, { text: 'ＧＤＰ。' }),
    a('u2', typed, 1, false, { text: 'gdp' }),
    a('u3', 'a-removed-question', 1, true, { value: true }),
  ];

  it('says who answered, who was right first and in the end, the common wrong answer and the median time', () => {
    const [s, t] = questionStats(set, answers);
    expect(s).toEqual({
      key: single,
      prompt: 'Where do pallets stay?',
      at: 10,
      learners: 3,
      rightFirstTime: 1 / 3,
      rightInTheEnd: 2 / 3,
      commonWrong: { answer: 'In the aisle', count: 2 },
      medianSeconds: 8,
    });
    // Typed answers are grouped as normalised: "ＧＤＰ。" and "gdp" are one wrong answer.
    expect(t).toMatchObject({ learners: 2, rightInTheEnd: 0, commonWrong: { answer: 'gdp', count: 2 } });
    expect(t!.medianSeconds).toBeUndefined();
  });

  it("gives each learner's result per question, with their attempts", () => {
    const results = learnerResults(answers);
    expect(results.get('u1')!.get(single)).toEqual({ correct: true, attempts: 2 });
    expect(results.get('u3')!.get(single)).toEqual({ correct: false, attempts: 2 });
    expect(results.get('u2')!.get(typed)).toEqual({ correct: false, attempts: 1 });
  });
});
