-- Up Migration

-- A tenant's webhook endpoints (`webhooks/webhook-endpoints.ts`): where events go, which ones, and
-- the Standard Webhooks signing secret (`whsec_…`; kept to sign with, shown only to the tenant).
-- An endpoint failing for long is disabled by the tool, with the reason shown on the admin page.
CREATE TABLE webhook_endpoints (
  id              text PRIMARY KEY,
  tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  url             text NOT NULL,
  description     text NOT NULL DEFAULT '',
  event_types     text[] NOT NULL CHECK (cardinality(event_types) > 0),
  secret          text NOT NULL,
  enabled         boolean NOT NULL DEFAULT true,
  -- 'tenant' (turned off by the tenant) or 'failing' (by the tool, after a long failure streak).
  disabled_reason text CHECK (disabled_reason IN ('tenant', 'failing')),
  -- The current failure streak: attempts failed in a row, and since when.
  failures        integer NOT NULL DEFAULT 0,
  failing_since   timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id);

-- Events to send (`webhooks/webhook-outbox.ts`), written in the transaction of what they report.
-- `id` is the webhook-id header (the same on every attempt, so receivers de-duplicate); an event is
-- known by what it reports (`dedupe_key`: a render's done, a learner's completion), so it is never
-- made twice.
CREATE TABLE webhook_messages (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  event_type  text NOT NULL,
  dedupe_key  text NOT NULL UNIQUE,
  payload     jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
-- Events are forgotten 30 days on (the relay prunes them).
CREATE INDEX webhook_messages_created ON webhook_messages (created_at);

-- One message to one endpoint: pending until it is delivered (2xx) or its attempts run out (failed,
-- resendable).
CREATE TABLE webhook_deliveries (
  message_id      text NOT NULL REFERENCES webhook_messages(id) ON DELETE CASCADE,
  endpoint_id     text NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  last_status     integer,
  last_error      text,
  last_attempt_at timestamptz,
  delivered_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (created_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);

-- Down Migration
DROP TABLE webhook_deliveries;
DROP TABLE webhook_messages;
DROP TABLE webhook_endpoints;
