-- Up Migration

-- Ask the tutor (`tutor/`): what a course's published lessons say, as searchable passages
-- (`tutor/passage-index.ts`). Each passage is a paragraph of a lesson's script or transcript (with
-- its chapter and where it is spoken), a lesson's title, its description, or a question's feedback. `terms` is the
-- text segmented into words (Intl.Segmenter, so Chinese has word boundaries) as an English tsvector:
-- English words are stemmed, Chinese words kept as they are.
CREATE TABLE tutor_passages (
  id          bigserial PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  context_id  text NOT NULL,
  lesson_id   text NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('title', 'description', 'script', 'feedback')),
  chapter     text,
  start_sec   real,
  text        text NOT NULL,
  terms       tsvector NOT NULL,
  -- length(terms), kept for ranking: the course's average is read from the index alone.
  words       integer NOT NULL
);
CREATE INDEX tutor_passages_terms ON tutor_passages USING gin (terms);
CREATE INDEX tutor_passages_course ON tutor_passages (tenant_id, context_id) INCLUDE (words);
CREATE INDEX tutor_passages_lesson ON tutor_passages (lesson_id);

-- What each lesson's passages were taken from (its published render and its language versions'): a
-- lesson published anew, or given another language, is indexed again before the next question in its
-- course is answered.
CREATE TABLE tutor_indexed_lessons (
  lesson_id    text PRIMARY KEY REFERENCES lessons(id) ON DELETE CASCADE,
  indexed_from text NOT NULL,
  indexed_at  timestamptz NOT NULL DEFAULT now()
);

-- How many of a course's passages have each word (BM25's document frequency), kept in step with the
-- passages by `tutor/passage-index.ts` as it indexes a lesson: a question's ranking reads one row a word
-- instead of counting the course's passages.
CREATE TABLE tutor_terms (
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  context_id  text NOT NULL,
  lexeme      text NOT NULL,
  passages    integer NOT NULL CHECK (passages >= 0),
  PRIMARY KEY (tenant_id, context_id, lexeme)
);

-- The instructor can turn the tutor off for one lesson; the description for learners the studio sends
-- the LMS is kept too, as course material (`lessons/lesson-repository.ts` writes both).
ALTER TABLE lessons
  ADD COLUMN tutor_enabled boolean NOT NULL DEFAULT true,
  ADD COLUMN description text NOT NULL DEFAULT '';

-- Every question a learner asked and what they were answered (`tutor/tutor-questions.ts`), with the
-- learner's id: the instructor reads them, the learner sees their own, and erasing the learner's data
-- deletes them. `terms` are the question's words (for grouping similar questions and finding a pin).
CREATE TABLE tutor_questions (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  context_id  text NOT NULL,
  lesson_id   text NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
  user_id     text NOT NULL,
  question    text NOT NULL,
  terms       text[] NOT NULL,
  language    text NOT NULL,
  answer      text NOT NULL,
  covered     boolean NOT NULL,
  sources     jsonb NOT NULL,
  composer    text NOT NULL,
  pin_id      text,
  clip_sha256 text,
  rating      smallint CHECK (rating IN (-1, 1)),
  asked_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tutor_questions_learner ON tutor_questions (tenant_id, user_id, asked_at DESC);
CREATE INDEX tutor_questions_lesson ON tutor_questions (lesson_id, asked_at DESC);

-- Answers an instructor edited and pinned (`tutor/tutor-pins.ts`): served for the same question.
CREATE TABLE tutor_pins (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  lesson_id   text NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
  question    text NOT NULL,
  terms       text[] NOT NULL,
  answer      text NOT NULL,
  sources     jsonb NOT NULL,
  pinned_by   text NOT NULL,
  pinned_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tutor_pins_lesson ON tutor_pins (lesson_id);

-- Down Migration
DROP TABLE tutor_pins;
DROP TABLE tutor_questions;
ALTER TABLE lessons DROP COLUMN tutor_enabled, DROP COLUMN description;
DROP TABLE tutor_terms;
DROP TABLE tutor_indexed_lessons;
DROP TABLE tutor_passages;
