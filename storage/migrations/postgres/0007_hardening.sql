-- A public form's one-time key stands for the form and its content: the same key with
-- other content is another form (a page restored from a cache), never the first one's
-- receipt. The hash of the content stored under the key tells the two apart.
ALTER TABLE petition ADD COLUMN submission_hash TEXT;

-- When a phone's session last finished a sync (its pull comes after every push): a
-- weekly report it sends later and claims to have finished before then was not on the
-- phone then, so its "finished at" is bounded below by it (a late report cannot be
-- backdated under the deadline).
ALTER TABLE user_session ADD COLUMN last_pull_at TIMESTAMPTZ;
ALTER TABLE weekly_report ADD COLUMN synced_after TIMESTAMPTZ;
