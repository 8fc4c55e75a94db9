-- Up Migration

-- When an organisation's directory was last compared with what the tool knows (leavers whose event
-- was missed, newcomers to assigned departments); claimed by one tool instance at a time. A newly
-- connected organisation has missed nothing: its first comparison is a period later.
ALTER TABLE dingtalk_corps ADD COLUMN reconciled_at timestamptz NOT NULL DEFAULT now();

-- Down Migration
ALTER TABLE dingtalk_corps DROP COLUMN reconciled_at;
