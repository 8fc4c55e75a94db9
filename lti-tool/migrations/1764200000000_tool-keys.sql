-- Up Migration

-- The tool's own signing keys (RS256), published at /lti/keys. One is active; a rotated-out key stays
-- published until its grace period ends, so what it signed (deep-linking responses, service token
-- assertions) still verifies at platforms that cached our keyset.
CREATE TABLE tool_keys (
  kid          text PRIMARY KEY,
  private_jwk  jsonb NOT NULL,
  public_jwk   jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  retired_at   timestamptz
);
CREATE UNIQUE INDEX tool_keys_one_active ON tool_keys ((true)) WHERE retired_at IS NULL;

-- Down Migration
DROP TABLE tool_keys;
