-- Up Migration

-- The courses the tool was launched from, as their LMS names them (the launch's context claim), and
-- where their roster is (NRPS): dashboards and exports name courses, and the platform check has a
-- roster to ask for. Refreshed at every launch.
CREATE TABLE lti_contexts (
  tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  context_id      text NOT NULL,
  platform_id     text NOT NULL REFERENCES lti_platforms(id) ON DELETE CASCADE,
  title           text,
  label           text,
  memberships_url text,
  last_launch_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, context_id)
);
CREATE INDEX lti_contexts_platform ON lti_contexts (platform_id, last_launch_at DESC);

-- The newest connection check of each platform: every step with its outcome and, when red, the fix.
CREATE TABLE lti_platform_checks (
  platform_id text PRIMARY KEY REFERENCES lti_platforms(id) ON DELETE CASCADE,
  checked_at  timestamptz NOT NULL DEFAULT now(),
  passed      boolean NOT NULL,
  steps       jsonb NOT NULL
);

-- Down Migration
DROP TABLE lti_platform_checks;
DROP TABLE lti_contexts;
