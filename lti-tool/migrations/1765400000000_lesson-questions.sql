-- Up Migration

-- A lesson's questions and how they are graded (`questions/question-repository.ts`): the question set
-- as the author saved it (validated by `QuestionSetSchema`; the right answers are in it, so it is
-- never sent to a learner's browser whole).
CREATE TABLE lesson_questions (
  lesson_id   text PRIMARY KEY REFERENCES lessons(id) ON DELETE CASCADE,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  question_set jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Every answer a learner gave (`questions/answer-repository.ts`), under the question's key (a digest
-- of what was asked), so answers to a question that a new version did not change still count.
-- (lesson, learner, question, attempt) is unique: a replayed answer is recognised, not counted twice.
CREATE TABLE question_answers (
  lesson_id      text NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
  user_id        text NOT NULL,
  question_key   text NOT NULL,
  attempt        integer NOT NULL CHECK (attempt >= 1),
  tenant_id      text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  answer         jsonb NOT NULL,
  correct        boolean NOT NULL,
  points         real NOT NULL,
  -- What the player measured from showing the question to the answer (for the statistics).
  seconds_to_answer real,
  session_sha256 text NOT NULL,
  answered_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (lesson_id, user_id, question_key, attempt)
);
CREATE INDEX question_answers_question ON question_answers (lesson_id, question_key);

-- The learner's points on the lesson's questions as of their last answer: the heartbeats' grade
-- weighs them in without reading the answers. NULL until a first answer.
ALTER TABLE watch_progress ADD COLUMN question_earned real, ADD COLUMN question_total real;

-- The parts of the lesson the learner played more than once (merged intervals, like `intervals`):
-- with `intervals` they make the dashboard's engagement chart (who watched each second, who went
-- back to it) without keeping every heartbeat.
ALTER TABLE watch_progress ADD COLUMN rewatched jsonb NOT NULL DEFAULT '[]';

-- Down Migration
ALTER TABLE watch_progress DROP COLUMN question_earned, DROP COLUMN question_total, DROP COLUMN rewatched;
DROP TABLE question_answers;
DROP TABLE lesson_questions;
