-- A public form's one-time key stands for the form and its content: the same key with
-- other content is another form (a page restored from a cache), never the first one's
-- receipt. The hash of the content stored under the key tells the two apart.
ALTER TABLE petition ADD COLUMN submission_hash TEXT;

-- INSERT OR REPLACE on an existing id would delete the old entry without firing the
-- delete trigger (recursive_triggers is off): refuse any insert that reuses an id.
CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- When a phone's session last finished a sync (its pull comes after every push): a
-- weekly report it sends later and claims to have finished before then was not on the
-- phone then, so its "finished at" is bounded below by it (a late report cannot be
-- backdated under the deadline).
ALTER TABLE user_session ADD COLUMN last_pull_at TEXT;
ALTER TABLE weekly_report ADD COLUMN synced_after TEXT;
