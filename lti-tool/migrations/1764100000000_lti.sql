-- Up Migration

-- A platform (an LMS) as registered with us. ltijs keeps its own copy (keys, endpoints) in its tables;
-- this one is ours: how it came, and which deployments it may launch from.
CREATE TABLE lti_platforms (
  id              text PRIMARY KEY,
  issuer          text NOT NULL,
  client_id       text NOT NULL,
  name            text NOT NULL,
  registered_via  text NOT NULL CHECK (registered_via IN ('dynamic', 'manual')),
  product         text,
  keyset_url      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (issuer, client_id)
);

-- A platform + deployment is a tenant: launches from an unknown deployment are refused.
CREATE TABLE lti_deployments (
  platform_id     text NOT NULL REFERENCES lti_platforms(id) ON DELETE CASCADE,
  deployment_id   text NOT NULL,
  tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (platform_id, deployment_id)
);

-- One launch's session: the pages hold its token (never a cookie), so it works in an iframe whose
-- third-party cookies are blocked, and a form cannot be forged from another site (no ambient credential).
CREATE TABLE lti_sessions (
  token_sha256    text PRIMARY KEY,
  tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  platform_id     text NOT NULL REFERENCES lti_platforms(id) ON DELETE CASCADE,
  deployment_id   text NOT NULL,
  context_id      text NOT NULL,
  user_id         text NOT NULL,
  user_name       text,
  role            text NOT NULL CHECK (role IN ('instructor', 'learner')),
  message_type    text NOT NULL,
  resource_link_id text,
  lesson_id       text REFERENCES lessons(id) ON DELETE CASCADE,
  launch          jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL
);
CREATE INDEX lti_sessions_expiry ON lti_sessions (expires_at);

-- Nonces of verified launches, kept past their token's expiry: a replayed id_token is refused.
CREATE TABLE lti_nonces (
  issuer     text NOT NULL,
  nonce      text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (issuer, nonce)
);

-- Lessons published to a course through deep linking, by the platform's resource link once launched.
ALTER TABLE lessons ADD COLUMN published_render_id text REFERENCES renders(id) ON DELETE SET NULL;

-- Down Migration
ALTER TABLE lessons DROP COLUMN published_render_id;
DROP TABLE lti_nonces;
DROP TABLE lti_sessions;
DROP TABLE lti_deployments;
DROP TABLE lti_platforms;
