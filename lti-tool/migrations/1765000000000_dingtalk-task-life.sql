-- Up Migration

-- DingTalk answers for a work-notice task only in its first 24 hours: a send whose result was not read
-- by then is 'unknown' (DingTalk took it; whether it reached the person cannot be learnt any more).
ALTER TABLE dingtalk_notices DROP CONSTRAINT dingtalk_notices_status_check;
ALTER TABLE dingtalk_notices ADD CONSTRAINT dingtalk_notices_status_check
  CHECK (status IN ('pending', 'sent', 'delivered', 'failed', 'unknown'));

-- Down Migration
UPDATE dingtalk_notices SET status = 'delivered' WHERE status = 'unknown';
ALTER TABLE dingtalk_notices DROP CONSTRAINT dingtalk_notices_status_check;
ALTER TABLE dingtalk_notices ADD CONSTRAINT dingtalk_notices_status_check
  CHECK (status IN ('pending', 'sent', 'delivered', 'failed'));
