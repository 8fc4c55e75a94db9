-- Up Migration

-- One-time registration URLs: an LMS may register itself only with a URL a tool admin minted. Only the
-- token's hash is kept; the URL is shown once. A registration that fails gives its token back.
CREATE TABLE lti_registration_invites (
  token_sha256 text PRIMARY KEY,
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz,
  platform_id  text REFERENCES lti_platforms(id) ON DELETE SET NULL
);

-- Watch time is credited only between two heartbeats of one playing launch: the learner's last
-- heartbeat (its launch session, when, and whether the player was playing), and the seconds of new
-- ground that may still be credited (10 to start with: the ingest's SLACK_SEC).
ALTER TABLE watch_progress
  ADD COLUMN last_session_sha256 text,
  ADD COLUMN last_heartbeat_at   timestamptz,
  ADD COLUMN last_playing        boolean NOT NULL DEFAULT false,
  ADD COLUMN credit_sec          real NOT NULL DEFAULT 10;

-- DingTalk event callbacks already handled, by the organisation's event id: a replayed callback does
-- nothing. Kept a day, well past the 5 minutes a signature is accepted.
CREATE TABLE dingtalk_callback_events (
  corp_id     text NOT NULL,
  event_id    text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (corp_id, event_id)
);
CREATE INDEX dingtalk_callback_events_received ON dingtalk_callback_events (received_at);

-- An active render whose node stopped sending its presence: since when it waits for another node.
ALTER TABLE renders ADD COLUMN stalled_since timestamptz;

-- Down Migration
ALTER TABLE renders DROP COLUMN stalled_since;
DROP TABLE dingtalk_callback_events;
ALTER TABLE watch_progress DROP COLUMN last_session_sha256, DROP COLUMN last_heartbeat_at,
  DROP COLUMN last_playing, DROP COLUMN credit_sec;
DROP TABLE lti_registration_invites;
