-- Up Migration

-- Lessons exported as SCORM 1.2 or cmi5 packages (`packages/package-repository.ts`). A package holds
-- a token (only its sha256 is kept) that lets its launch page open the lesson's player for the
-- importing LMS's learners; revoking the package stops it.
CREATE TABLE lesson_packages (
  id            text PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  lesson_id     text NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
  format        text NOT NULL CHECK (format IN ('scorm12', 'cmi5')),
  token_sha256  text NOT NULL UNIQUE,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz
);
CREATE INDEX lesson_packages_lesson ON lesson_packages (lesson_id);

-- Down Migration
DROP TABLE lesson_packages;
