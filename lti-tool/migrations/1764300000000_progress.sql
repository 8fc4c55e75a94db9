-- Up Migration

-- The platform's OAuth2 token endpoint: the services (AGS scores, NRPS roster) get their tokens there.
ALTER TABLE lti_platforms ADD COLUMN token_url text;

-- How a lesson is graded: coverage as a score out of score_maximum, complete at completion_threshold.
ALTER TABLE lessons
  ADD COLUMN score_maximum integer NOT NULL DEFAULT 100 CHECK (score_maximum BETWEEN 1 AND 1000),
  ADD COLUMN completion_threshold real NOT NULL DEFAULT 0.9 CHECK (completion_threshold > 0 AND completion_threshold <= 1);

-- Heartbeats already taken, by launch session and sequence: a heartbeat sent twice counts once.
CREATE TABLE watch_heartbeats (
  session_sha256 text NOT NULL,
  seq            integer NOT NULL,
  received_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (session_sha256, seq)
);
CREATE INDEX watch_heartbeats_received ON watch_heartbeats (received_at);

-- A learner's watching of a lesson: the merged intervals they played, and where to resume.
CREATE TABLE watch_progress (
  lesson_id       text NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
  user_id         text NOT NULL,
  tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  context_id      text NOT NULL,
  platform_id     text NOT NULL,
  user_name       text,
  intervals       jsonb NOT NULL,
  duration_sec    real NOT NULL,
  coverage        real NOT NULL CHECK (coverage BETWEEN 0 AND 1),
  position_sec    real NOT NULL DEFAULT 0,
  started_at      timestamptz NOT NULL DEFAULT now(),
  last_watched_at timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  -- The last score put in the outbox, so a new one goes only when the coverage moved enough.
  scored_percent  integer NOT NULL DEFAULT -1,
  PRIMARY KEY (lesson_id, user_id)
);
CREATE INDEX watch_progress_context ON watch_progress (tenant_id, context_id);

-- Transactional outbox of AGS scores: written in the progress's transaction, one row per learner and
-- lesson, so a newer score supersedes an undelivered one (version counts them). A delivery worker
-- takes the row under a lease and marks the version it delivered.
CREATE TABLE grade_outbox (
  lesson_id         text NOT NULL,
  user_id           text NOT NULL,
  tenant_id         text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  platform_id       text NOT NULL,
  version           integer NOT NULL DEFAULT 1,
  score             jsonb NOT NULL,
  target            jsonb NOT NULL,
  status            text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts          integer NOT NULL DEFAULT 0,
  last_error        text,
  lease_until       timestamptz,
  delivered_version integer,
  delivered_at      timestamptz,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (lesson_id, user_id),
  FOREIGN KEY (lesson_id, user_id) REFERENCES watch_progress (lesson_id, user_id) ON DELETE CASCADE
);
CREATE INDEX grade_outbox_pending ON grade_outbox (updated_at) WHERE status = 'pending';

-- Line items we created where the platform had none for a resource link.
CREATE TABLE ags_line_items (
  platform_id      text NOT NULL,
  lineitems_url    text NOT NULL,
  resource_link_id text NOT NULL,
  lineitem_url     text NOT NULL,
  PRIMARY KEY (platform_id, lineitems_url, resource_link_id)
);

-- Course rosters from Names and Role Provisioning Services, for learners who have not started.
CREATE TABLE course_members (
  tenant_id  text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  context_id text NOT NULL,
  user_id    text NOT NULL,
  name       text,
  roles      text[] NOT NULL,
  status     text NOT NULL,
  synced_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, context_id, user_id)
);

-- Down Migration
DROP TABLE course_members;
DROP TABLE ags_line_items;
DROP TABLE grade_outbox;
DROP TABLE watch_progress;
DROP TABLE watch_heartbeats;
ALTER TABLE lessons DROP COLUMN completion_threshold, DROP COLUMN score_maximum;
ALTER TABLE lti_platforms DROP COLUMN token_url;
