-- A lesson version spoken from a script: the script, its language and voice, and its captions and
-- chapters (WebVTT objects in the media store, by sha256). NULL for versions from a recording.
ALTER TABLE lesson_versions ADD COLUMN narration jsonb;
