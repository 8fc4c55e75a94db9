-- Up Migration

-- A lesson's language versions (dubbing): for each language other than its published version's own,
-- the finished render learners see in that language. Each is its own render, because the presenter's
-- lips follow that language's voice; its captions come from its own script.
CREATE TABLE lesson_languages (
  lesson_id    text NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
  language     text NOT NULL,
  render_id    text NOT NULL REFERENCES renders(id) ON DELETE CASCADE,
  published_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (lesson_id, language)
);

-- Down Migration
DROP TABLE lesson_languages;
