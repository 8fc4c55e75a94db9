-- Up Migration

-- How DingTalk's events reach the tool: Stream mode (a WebSocket the tool opens; DingTalk's
-- recommendation for internal apps, no public URL or crypto) or HTTP push (the callback URL). An
-- organisation connected before this keeps HTTP push; new ones use Stream mode unless set otherwise.
ALTER TABLE dingtalk_corps ADD COLUMN event_channel text NOT NULL DEFAULT 'http'
  CHECK (event_channel IN ('stream', 'http'));
ALTER TABLE dingtalk_corps ALTER COLUMN event_channel SET DEFAULT 'stream';

-- Down Migration
ALTER TABLE dingtalk_corps DROP COLUMN event_channel;
