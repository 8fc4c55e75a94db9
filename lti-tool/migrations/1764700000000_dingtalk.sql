-- Up Migration

-- A DingTalk organisation (corp) whose people learn through the bridge: its internal app's credentials,
-- the tenant whose lessons it sees, and the DingTalk users allowed to administer it.
CREATE TABLE dingtalk_corps (
  corp_id          text PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name             text NOT NULL,
  app_key          text NOT NULL,
  app_secret       text NOT NULL,
  agent_id         text NOT NULL,
  -- Event subscription (optional): the token and EncodingAESKey set in DingTalk's developer console.
  callback_token   text,
  callback_aes_key text CHECK (callback_aes_key IS NULL OR length(callback_aes_key) = 43),
  admin_userids    text[] NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now()
);

-- DingTalk people who signed in or were assigned a lesson: learners of the corp's tenant.
-- user_key ('dt:<corp>:<userid>') is their user id in watch_progress and launch sessions.
CREATE TABLE dingtalk_users (
  corp_id    text NOT NULL REFERENCES dingtalk_corps(corp_id) ON DELETE CASCADE,
  userid     text NOT NULL,
  user_key   text NOT NULL UNIQUE,
  unionid    text,
  name       text,
  dept_ids   bigint[] NOT NULL DEFAULT '{}',
  left_at    timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (corp_id, userid)
);

-- What an admin assigned: a lesson to a department (and its sub-departments) or to one person.
CREATE TABLE dingtalk_assignments (
  id          bigserial PRIMARY KEY,
  corp_id     text NOT NULL REFERENCES dingtalk_corps(corp_id) ON DELETE CASCADE,
  lesson_id   text NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
  dept_id     bigint,
  userid      text,
  assigned_by text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((dept_id IS NULL) <> (userid IS NULL))
);
CREATE UNIQUE INDEX dingtalk_assignments_target
  ON dingtalk_assignments (corp_id, lesson_id, COALESCE(dept_id::text, 'u:' || userid));

-- Each person an assignment reached (departments resolved when assigned): who may open the lesson in
-- DingTalk, and whom the dashboard lists before they start.
CREATE TABLE dingtalk_assignees (
  corp_id       text NOT NULL REFERENCES dingtalk_corps(corp_id) ON DELETE CASCADE,
  lesson_id     text NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
  userid        text NOT NULL,
  user_key      text NOT NULL,
  assignment_id bigint NOT NULL REFERENCES dingtalk_assignments(id) ON DELETE CASCADE,
  assigned_by   text NOT NULL,
  assigned_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (corp_id, lesson_id, userid)
);
CREATE INDEX dingtalk_assignees_user ON dingtalk_assignees (user_key);

-- Outbox of work notices, one row per recipient and purpose (dedupe_key), written in the transaction
-- that made it due: an assignment, a completion, a day's summary. Rows with the same message go out
-- together, up to DingTalk's recipients per call; task_id is DingTalk's, for the result query.
CREATE TABLE dingtalk_notices (
  id          bigserial PRIMARY KEY,
  corp_id     text NOT NULL REFERENCES dingtalk_corps(corp_id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('assignment', 'completion', 'summary')),
  dedupe_key  text NOT NULL UNIQUE,
  userid      text NOT NULL,
  user_key    text NOT NULL,
  lesson_id   text,
  message     jsonb NOT NULL,
  message_key text NOT NULL,
  status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'delivered', 'failed')),
  attempts    integer NOT NULL DEFAULT 0,
  lease_until timestamptz,
  task_id     text,
  last_error  text,
  sent_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dingtalk_notices_pending ON dingtalk_notices (corp_id, message_key, id) WHERE status = 'pending';
CREATE INDEX dingtalk_notices_task ON dingtalk_notices (corp_id, task_id) WHERE status = 'sent';
CREATE INDEX dingtalk_notices_progress ON dingtalk_notices (lesson_id, user_key) WHERE kind = 'completion';

-- Launch sessions also come from DingTalk's free-login (platform 'dingtalk:<corp>'), which is no LTI
-- platform: its sessions are deleted with the corp, or when the person leaves it.
ALTER TABLE lti_sessions DROP CONSTRAINT lti_sessions_platform_id_fkey;

-- Down Migration
DELETE FROM lti_sessions WHERE platform_id NOT IN (SELECT id FROM lti_platforms);
ALTER TABLE lti_sessions ADD CONSTRAINT lti_sessions_platform_id_fkey
  FOREIGN KEY (platform_id) REFERENCES lti_platforms(id) ON DELETE CASCADE;
DROP TABLE dingtalk_notices;
DROP TABLE dingtalk_assignees;
DROP TABLE dingtalk_assignments;
DROP TABLE dingtalk_users;
DROP TABLE dingtalk_corps;
