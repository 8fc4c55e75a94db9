-- Up Migration

-- A tenant is an LMS platform + deployment (or an API client): every row below belongs to one.
CREATE TABLE tenants (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Keys for the HTTP API, stored as sha256 of the secret (the secret is shown once, at creation).
CREATE TABLE api_keys (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  secret_sha256 text NOT NULL UNIQUE,
  label       text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

-- Secrets the tool generates on first start and every instance shares (media URL signing key, …).
CREATE TABLE tool_secrets (
  name        text PRIMARY KEY,
  value       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE admin_users (
  username      text PRIMARY KEY,
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Content-addressed media: the bytes live once in the store under their sha256; a tenant sees only
-- the assets it uploaded itself.
CREATE TABLE assets (
  tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  kind          text NOT NULL CHECK (kind IN ('portrait', 'audio')),
  content_type  text NOT NULL,
  bytes         bigint NOT NULL CHECK (bytes > 0),
  original_name text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, sha256)
);

CREATE TABLE lessons (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  context_id  text,
  title       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lessons_tenant ON lessons (tenant_id, context_id);

-- One version of a lesson: the inputs and settings it is rendered from.
CREATE TABLE lesson_versions (
  id            text PRIMARY KEY,
  lesson_id     text NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
  tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  portrait_sha256 text NOT NULL,
  audio_sha256  text NOT NULL,
  engine        text NOT NULL,
  settings      jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, portrait_sha256) REFERENCES assets (tenant_id, sha256),
  FOREIGN KEY (tenant_id, audio_sha256) REFERENCES assets (tenant_id, sha256)
);

-- submitted: in PostgreSQL, not yet on the queue (the reconciler enqueues it); queued; active;
-- then one of done, failed, cancelled.
CREATE TABLE renders (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  lesson_id   text NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
  version_id  text NOT NULL REFERENCES lesson_versions(id) ON DELETE CASCADE,
  engine      text NOT NULL,
  state       text NOT NULL CHECK (state IN ('submitted', 'queued', 'active', 'done', 'failed', 'cancelled')),
  progress    jsonb,
  node_id     text,
  error       text,
  result      jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  started_at  timestamptz,
  finished_at timestamptz
);
CREATE INDEX renders_open ON renders (state) WHERE state IN ('submitted', 'queued', 'active');
CREATE INDEX renders_tenant ON renders (tenant_id, created_at DESC);

-- A render's history: queued, started on node X, handed over, retried, done/failed with reason.
CREATE TABLE render_events (
  id         bigserial PRIMARY KEY,
  render_id  text NOT NULL REFERENCES renders(id) ON DELETE CASCADE,
  at         timestamptz NOT NULL DEFAULT now(),
  kind       text NOT NULL,
  node_id    text,
  message    text NOT NULL DEFAULT ''
);
CREATE INDEX render_events_render ON render_events (render_id, id);

-- Files render nodes uploaded for a render (final outputs and resumable chunks), each verified by
-- size and sha256 on arrival; the bytes are in the content-addressed store.
CREATE TABLE render_files (
  render_id    text NOT NULL REFERENCES renders(id) ON DELETE CASCADE,
  name         text NOT NULL,
  sha256       text NOT NULL,
  bytes        bigint NOT NULL,
  content_type text NOT NULL,
  uploads      integer NOT NULL DEFAULT 1,
  uploaded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (render_id, name)
);

-- express-session's store (connect-pg-simple) for admin logins.
CREATE TABLE admin_sessions (
  sid     varchar NOT NULL PRIMARY KEY,
  sess    json NOT NULL,
  expire  timestamp(6) NOT NULL
);
CREATE INDEX admin_sessions_expire ON admin_sessions (expire);

-- Down Migration
DROP TABLE admin_sessions;
DROP TABLE render_files;
DROP TABLE render_events;
DROP TABLE renders;
DROP TABLE lesson_versions;
DROP TABLE lessons;
DROP TABLE assets;
DROP TABLE admin_users;
DROP TABLE tool_secrets;
DROP TABLE api_keys;
DROP TABLE tenants;
