-- Up Migration

-- DingTalk's monthly API quota (adapters/dingtalk/api-quota.ts): an organisation's calls that count, by
-- month in China, as this tool made them (its other apps use the same quota; DingTalk's 90020 is the
-- last word, and `exhausted_until` keeps it). A standard-edition organisation has 5,000 a month.
ALTER TABLE dingtalk_corps ADD COLUMN monthly_call_quota integer NOT NULL DEFAULT 5000
  CHECK (monthly_call_quota > 0);
CREATE TABLE dingtalk_api_usage (
  corp_id         text NOT NULL REFERENCES dingtalk_corps(corp_id) ON DELETE CASCADE,
  month           text NOT NULL CHECK (month ~ '^\d{4}-\d{2}$'),
  calls           integer NOT NULL DEFAULT 0,
  exhausted_until timestamptz,
  PRIMARY KEY (corp_id, month)
);

-- A learner's completion notice left to the admin's daily summary while calls are scarce.
ALTER TABLE dingtalk_notices DROP CONSTRAINT dingtalk_notices_status_check;
ALTER TABLE dingtalk_notices ADD CONSTRAINT dingtalk_notices_status_check
  CHECK (status IN ('pending', 'sent', 'delivered', 'failed', 'unknown', 'summarized'));

-- Down Migration
DELETE FROM dingtalk_notices WHERE status = 'summarized';
ALTER TABLE dingtalk_notices DROP CONSTRAINT dingtalk_notices_status_check;
ALTER TABLE dingtalk_notices ADD CONSTRAINT dingtalk_notices_status_check
  CHECK (status IN ('pending', 'sent', 'delivered', 'failed', 'unknown'));
DROP TABLE dingtalk_api_usage;
ALTER TABLE dingtalk_corps DROP COLUMN monthly_call_quota;
