-- Accounts, their roles on org units, sessions, login failures and the audit log.
-- Times are UTC, bound from the server (RFC 3339 text here, TIMESTAMPTZ on PostgreSQL).

CREATE TABLE app_user (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    phone           TEXT,
    password_hash   TEXT NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at      TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
);

CREATE TABLE role_grant (
    user_id     INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'clerk', 'case_leader', 'handler',
                                               'info_officer', 'grid_worker', 'petition_agent')),
    org_unit_id INTEGER NOT NULL REFERENCES org_unit (id),
    PRIMARY KEY (user_id, role, org_unit_id)
);

CREATE INDEX role_grant_unit ON role_grant (org_unit_id);

-- The cookie carries a random token; only its SHA-256 is stored, so a copy of the
-- database cannot be used to log in.
CREATE TABLE user_session (
    token_hash      TEXT PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('office', 'field')),
    created_at      TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL,
    address         TEXT,
    user_agent      TEXT
);

CREATE INDEX user_session_user ON user_session (user_id);

-- One row per failed login, keyed by the account name typed (existing or not) and by
-- address. Cleared for the account on success; old rows are pruned.
CREATE TABLE login_failure (
    id      INTEGER PRIMARY KEY,
    key     TEXT NOT NULL,
    at      TEXT NOT NULL
);

CREATE INDEX login_failure_key ON login_failure (key, at);

CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    user_id         INTEGER REFERENCES app_user (id),
    username        TEXT,
    action          TEXT NOT NULL,
    record_kind     TEXT,
    record_id       TEXT,
    outcome         TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
    township_id     INTEGER REFERENCES org_unit (id),
    address         TEXT,
    user_agent      TEXT,
    detail          TEXT
);

CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (user_id, at);
CREATE INDEX audit_log_record ON audit_log (record_kind, record_id);

-- Append-only: no entry is ever edited, and none is deleted before 180 days.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_retention BEFORE DELETE ON audit_log
WHEN julianday(OLD.at) > julianday('now') - 180
BEGIN
    SELECT RAISE(ABORT, 'audit_log entries are kept for 180 days');
END;
