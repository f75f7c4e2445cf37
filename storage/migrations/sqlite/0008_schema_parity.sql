-- Two kinds of constraint that PostgreSQL has had from the start, and SQLite lacked:
--
-- - A PRIMARY KEY column other than an INTEGER one is NOT NULL on SQLite only when
--   declared so: app_secret.name, sync_receipt.client_uuid, tracking_sequence.day and
--   user_session.token_hash become NOT NULL.
-- - Migration 0005 left out the CHECK (x IN (0, 1)) of five boolean columns:
--   field_report.needs_township and .urgent, photo_upload.complete,
--   weekly_deadline.next_week and weekly_report.zero get it. The app reads any non-zero
--   value as true (as sqlx does), so a value other than 0 or 1, which the app never
--   writes, is copied as 1, and 0 stays 0.
--
-- SQLite cannot add a constraint to a column, so each of those nine tables is made anew:
-- created with the fixed definition (columns, their order and defaults as before, the
-- columns added by 0006 and 0007 included) under another name, its rows copied, the old
-- table dropped and the new one renamed, and its indexes made again. None of them has a
-- trigger, and no view exists.
--
-- sqlx runs this file in one transaction, on a connection with foreign keys on
-- (storage/src/database.rs), and PRAGMA foreign_keys cannot change inside a transaction.
-- With foreign keys on, DROP TABLE first deletes every row, and that delete runs the
-- ON DELETE CASCADE of the tables that reference the dropped one (their rows would go
-- too) and refuses when a NO ACTION reference still points at a row; and renaming a table
-- rewrites the other tables' references to it. So the four tables that reference a
-- rebuilt one (field_report_photo, inbox_event and weekly_report_item reference
-- field_report; photo_chunk references photo_upload; weekly_report_item references
-- weekly_report) have their rows set aside and are dropped first, and are made again as
-- 0005 made them once their parents are back under their own names. No table references
-- the other five rebuilt tables.

-- ---- The tables that reference a rebuilt one: rows set aside, table dropped ----

CREATE TEMP TABLE parked_field_report_photo AS SELECT * FROM field_report_photo;
CREATE TEMP TABLE parked_photo_chunk AS SELECT * FROM photo_chunk;
CREATE TEMP TABLE parked_weekly_report_item AS SELECT * FROM weekly_report_item;
CREATE TEMP TABLE parked_inbox_event AS SELECT * FROM inbox_event;

DROP TABLE field_report_photo;
DROP TABLE photo_chunk;
DROP TABLE weekly_report_item;
DROP TABLE inbox_event;

-- ---- Text primary keys made NOT NULL ----

CREATE TABLE user_session_new (
    token_hash      TEXT NOT NULL PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('office', 'field')),
    created_at      TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL,
    address         TEXT,
    user_agent      TEXT,
    last_pull_at    TEXT
);

INSERT INTO user_session_new
    (token_hash, user_id, kind, created_at, last_seen_at, address, user_agent, last_pull_at)
SELECT token_hash, user_id, kind, created_at, last_seen_at, address, user_agent, last_pull_at
FROM user_session;

DROP TABLE user_session;
ALTER TABLE user_session_new RENAME TO user_session;

CREATE INDEX user_session_user ON user_session (user_id);

CREATE TABLE tracking_sequence_new (
    day             TEXT NOT NULL PRIMARY KEY,
    last_number     INTEGER NOT NULL
);

INSERT INTO tracking_sequence_new (day, last_number)
SELECT day, last_number FROM tracking_sequence;

DROP TABLE tracking_sequence;
ALTER TABLE tracking_sequence_new RENAME TO tracking_sequence;

CREATE TABLE app_secret_new (
    name            TEXT NOT NULL PRIMARY KEY,
    value           TEXT NOT NULL
);

INSERT INTO app_secret_new (name, value)
SELECT name, value FROM app_secret;

DROP TABLE app_secret;
ALTER TABLE app_secret_new RENAME TO app_secret;

CREATE TABLE sync_receipt_new (
    client_uuid     TEXT NOT NULL PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES app_user (id),
    record_type     TEXT NOT NULL,
    body_hash       TEXT NOT NULL,
    received_at     TEXT NOT NULL
);

INSERT INTO sync_receipt_new (client_uuid, user_id, record_type, body_hash, received_at)
SELECT client_uuid, user_id, record_type, body_hash, received_at FROM sync_receipt;

DROP TABLE sync_receipt;
ALTER TABLE sync_receipt_new RENAME TO sync_receipt;

-- ---- Booleans held to 0 and 1 ----

CREATE TABLE weekly_deadline_new (
    township_id     INTEGER PRIMARY KEY REFERENCES org_unit (id),
    weekday         INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    hour            INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    next_week       INTEGER NOT NULL CHECK (next_week IN (0, 1)),
    updated_at      TEXT NOT NULL,
    updated_by      INTEGER REFERENCES app_user (id)
);

INSERT INTO weekly_deadline_new (township_id, weekday, hour, next_week, updated_at, updated_by)
SELECT township_id, weekday, hour, CAST(next_week AS INTEGER) <> 0, updated_at, updated_by
FROM weekly_deadline;

DROP TABLE weekly_deadline;
ALTER TABLE weekly_deadline_new RENAME TO weekly_deadline;

CREATE TABLE field_report_new (
    id              INTEGER PRIMARY KEY,
    client_uuid     TEXT NOT NULL UNIQUE,
    township_id     INTEGER NOT NULL REFERENCES org_unit (id),
    village_id      INTEGER NOT NULL REFERENCES org_unit (id),
    grid_id         INTEGER REFERENCES org_unit (id),
    kind            TEXT NOT NULL,
    category        TEXT NOT NULL CHECK (category IN ('dispute', 'hazard')),
    severity        TEXT NOT NULL CHECK (severity IN ('general', 'serious', 'urgent')),
    -- Flagged to the township on arrival (Art. 25); stays set after the report closes.
    urgent          INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
    place           TEXT NOT NULL,
    latitude        REAL CHECK (latitude BETWEEN -90 AND 90),
    longitude       REAL CHECK (longitude BETWEEN -180 AND 180),
    accuracy_m      REAL CHECK (accuracy_m >= 0),
    found_at        TEXT NOT NULL,
    parties         TEXT,
    person_count    INTEGER CHECK (person_count >= 1),
    description     TEXT NOT NULL,
    action_taken    TEXT,
    needs_township  INTEGER NOT NULL DEFAULT 0 CHECK (needs_township IN (0, 1)),
    state           TEXT NOT NULL DEFAULT 'new'
                        CHECK (state IN ('new', 'acknowledged', 'more_info_requested', 'closed')),
    author_id       INTEGER NOT NULL REFERENCES app_user (id),
    device_id       TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    body_hash       TEXT
);

INSERT INTO field_report_new
    (id, client_uuid, township_id, village_id, grid_id, kind, category, severity, urgent,
     place, latitude, longitude, accuracy_m, found_at, parties, person_count, description,
     action_taken, needs_township, state, author_id, device_id, created_at, received_at,
     updated_at, body_hash)
SELECT id, client_uuid, township_id, village_id, grid_id, kind, category, severity,
       CAST(urgent AS INTEGER) <> 0, place, latitude, longitude, accuracy_m, found_at,
       parties, person_count, description, action_taken,
       CAST(needs_township AS INTEGER) <> 0, state, author_id, device_id, created_at,
       received_at, updated_at, body_hash
FROM field_report;

DROP TABLE field_report;
ALTER TABLE field_report_new RENAME TO field_report;

CREATE INDEX field_report_inbox ON field_report (township_id, state, received_at);
CREATE INDEX field_report_village ON field_report (village_id, found_at);

CREATE TABLE photo_upload_new (
    id              INTEGER PRIMARY KEY,
    client_uuid     TEXT NOT NULL UNIQUE,
    township_id     INTEGER NOT NULL REFERENCES org_unit (id),
    village_id      INTEGER REFERENCES org_unit (id),
    uploaded_by     INTEGER NOT NULL REFERENCES app_user (id),
    media_type      TEXT NOT NULL CHECK (media_type IN ('jpeg', 'png', 'webp')),
    byte_size       INTEGER NOT NULL CHECK (byte_size > 0),
    sha256          TEXT NOT NULL,
    received        INTEGER NOT NULL DEFAULT 0 CHECK (received BETWEEN 0 AND byte_size),
    complete        INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
    content         BLOB,
    created_at      TEXT NOT NULL,
    completed_at    TEXT
);

INSERT INTO photo_upload_new
    (id, client_uuid, township_id, village_id, uploaded_by, media_type, byte_size, sha256,
     received, complete, content, created_at, completed_at)
SELECT id, client_uuid, township_id, village_id, uploaded_by, media_type, byte_size, sha256,
       received, CAST(complete AS INTEGER) <> 0, content, created_at, completed_at
FROM photo_upload;

DROP TABLE photo_upload;
ALTER TABLE photo_upload_new RENAME TO photo_upload;

CREATE TABLE weekly_report_new (
    id              INTEGER PRIMARY KEY,
    client_uuid     TEXT NOT NULL UNIQUE,
    township_id     INTEGER NOT NULL REFERENCES org_unit (id),
    village_id      INTEGER NOT NULL REFERENCES org_unit (id),
    week            TEXT NOT NULL,
    zero            INTEGER NOT NULL CHECK (zero IN (0, 1)),
    note            TEXT,
    author_id       INTEGER NOT NULL REFERENCES app_user (id),
    device_id       TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    synced_after    TEXT,
    UNIQUE (village_id, week)
);

INSERT INTO weekly_report_new
    (id, client_uuid, township_id, village_id, week, zero, note, author_id, device_id,
     created_at, received_at, synced_after)
SELECT id, client_uuid, township_id, village_id, week, CAST(zero AS INTEGER) <> 0, note,
       author_id, device_id, created_at, received_at, synced_after
FROM weekly_report;

DROP TABLE weekly_report;
ALTER TABLE weekly_report_new RENAME TO weekly_report;

CREATE INDEX weekly_report_township ON weekly_report (township_id, week);

-- ---- The referencing tables made again as 0005 made them, with their rows ----

CREATE TABLE field_report_photo (
    report_id       INTEGER NOT NULL REFERENCES field_report (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL CHECK (position BETWEEN 1 AND 5),
    photo_uuid      TEXT NOT NULL,
    PRIMARY KEY (report_id, position)
);

INSERT INTO field_report_photo (report_id, position, photo_uuid)
SELECT report_id, position, photo_uuid FROM parked_field_report_photo;

CREATE INDEX field_report_photo_uuid ON field_report_photo (photo_uuid);

CREATE TABLE photo_chunk (
    upload_id       INTEGER NOT NULL REFERENCES photo_upload (id) ON DELETE CASCADE,
    start           INTEGER NOT NULL CHECK (start >= 0),
    bytes           BLOB NOT NULL,
    PRIMARY KEY (upload_id, start)
);

INSERT INTO photo_chunk (upload_id, start, bytes)
SELECT upload_id, start, bytes FROM parked_photo_chunk;

CREATE TABLE weekly_report_item (
    weekly_report_id INTEGER NOT NULL REFERENCES weekly_report (id) ON DELETE CASCADE,
    field_report_id  INTEGER NOT NULL REFERENCES field_report (id),
    PRIMARY KEY (weekly_report_id, field_report_id)
);

INSERT INTO weekly_report_item (weekly_report_id, field_report_id)
SELECT weekly_report_id, field_report_id FROM parked_weekly_report_item;

CREATE TABLE inbox_event (
    id              INTEGER PRIMARY KEY,
    report_id       INTEGER NOT NULL REFERENCES field_report (id) ON DELETE CASCADE,
    at              TEXT NOT NULL,
    step            TEXT NOT NULL CHECK (step IN ('acknowledge', 'request_info', 'supplement', 'close')),
    from_state      TEXT NOT NULL,
    to_state        TEXT NOT NULL,
    actor_user_id   INTEGER REFERENCES app_user (id),
    note            TEXT
);

INSERT INTO inbox_event (id, report_id, at, step, from_state, to_state, actor_user_id, note)
SELECT id, report_id, at, step, from_state, to_state, actor_user_id, note FROM parked_inbox_event;

CREATE INDEX inbox_event_report ON inbox_event (report_id, id);

DROP TABLE parked_field_report_photo;
DROP TABLE parked_photo_chunk;
DROP TABLE parked_weekly_report_item;
DROP TABLE parked_inbox_event;
