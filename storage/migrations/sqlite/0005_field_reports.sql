-- Field reports (issue 5): dispute and hazard reports, their photos (uploaded resumably),
-- weekly screening reports, the township inbox, and what the phones' sync needs: a
-- receipt per client UUID and a change feed with a sequence per township.
-- The rules live in domain::field and domain::sync; the CHECKs keep names in vocabulary.

-- The kinds a report may be. Rows without a township are the defaults every township
-- starts with; a township whose admin edits the list gets rows of its own.
CREATE TABLE report_kind (
    id              INTEGER PRIMARY KEY,
    township_id     INTEGER REFERENCES org_unit (id),
    code            TEXT NOT NULL,
    name_zh         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    category        TEXT NOT NULL CHECK (category IN ('dispute', 'hazard')),
    position        INTEGER NOT NULL
);

CREATE UNIQUE INDEX report_kind_code ON report_kind (COALESCE(township_id, 0), code);

INSERT INTO report_kind (township_id, code, name_zh, name_en, category, position) VALUES
    (NULL, 'land', '土地纠纷', 'Land', 'dispute', 1),
    (NULL, 'wages_owed', '拖欠工资', 'Wages owed', 'dispute', 2),
    (NULL, 'neighbours', '邻里纠纷', 'Neighbours', 'dispute', 3),
    (NULL, 'family', '婚姻家庭', 'Family', 'dispute', 4),
    (NULL, 'demolition', '征地拆迁', 'Demolition', 'dispute', 5),
    (NULL, 'environment', '环境污染', 'Environment', 'hazard', 6),
    (NULL, 'safety', '安全隐患', 'Safety', 'hazard', 7),
    (NULL, 'other', '其他', 'Other', 'dispute', 8);

-- When a township's weekly reports are due (domain::field::WeeklyDeadline); no row: the
-- default.
CREATE TABLE weekly_deadline (
    township_id     INTEGER PRIMARY KEY REFERENCES org_unit (id),
    weekday         INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    hour            INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    next_week       INTEGER NOT NULL,
    updated_at      TEXT NOT NULL,
    updated_by      INTEGER REFERENCES app_user (id)
);

-- A dispute or hazard report (矛盾纠纷 / 隐患). `created_at` is the phone's clock when
-- it was finished, `received_at` the server's when it arrived.
CREATE TABLE field_report (
    id              INTEGER PRIMARY KEY,
    client_uuid     TEXT NOT NULL UNIQUE,
    township_id     INTEGER NOT NULL REFERENCES org_unit (id),
    village_id      INTEGER NOT NULL REFERENCES org_unit (id),
    grid_id         INTEGER REFERENCES org_unit (id),
    kind            TEXT NOT NULL,
    category        TEXT NOT NULL CHECK (category IN ('dispute', 'hazard')),
    severity        TEXT NOT NULL CHECK (severity IN ('general', 'serious', 'urgent')),
    -- Flagged to the township on arrival (Art. 25); stays set after the report closes.
    urgent          INTEGER NOT NULL DEFAULT 0,
    place           TEXT NOT NULL,
    latitude        REAL CHECK (latitude BETWEEN -90 AND 90),
    longitude       REAL CHECK (longitude BETWEEN -180 AND 180),
    accuracy_m      REAL CHECK (accuracy_m >= 0),
    found_at        TEXT NOT NULL,
    parties         TEXT,
    person_count    INTEGER CHECK (person_count >= 1),
    description     TEXT NOT NULL,
    action_taken    TEXT,
    needs_township  INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'new'
                        CHECK (state IN ('new', 'acknowledged', 'more_info_requested', 'closed')),
    author_id       INTEGER NOT NULL REFERENCES app_user (id),
    device_id       TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE INDEX field_report_inbox ON field_report (township_id, state, received_at);
CREATE INDEX field_report_village ON field_report (village_id, found_at);

-- The photos a report names, by the client UUID of their upload; a photo counts as
-- attached only once its upload is complete and its hash matched.
CREATE TABLE field_report_photo (
    report_id       INTEGER NOT NULL REFERENCES field_report (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL CHECK (position BETWEEN 1 AND 5),
    photo_uuid      TEXT NOT NULL,
    PRIMARY KEY (report_id, position)
);

CREATE INDEX field_report_photo_uuid ON field_report_photo (photo_uuid);

-- A photo uploaded in chunks: the size and SHA-256 are declared first, chunks are
-- appended at the offset received so far, and the bytes move to `content` only when
-- all have arrived and the hash matches.
CREATE TABLE photo_upload (
    id              INTEGER PRIMARY KEY,
    client_uuid     TEXT NOT NULL UNIQUE,
    township_id     INTEGER NOT NULL REFERENCES org_unit (id),
    village_id      INTEGER REFERENCES org_unit (id),
    uploaded_by     INTEGER NOT NULL REFERENCES app_user (id),
    media_type      TEXT NOT NULL CHECK (media_type IN ('jpeg', 'png', 'webp')),
    byte_size       INTEGER NOT NULL CHECK (byte_size > 0),
    sha256          TEXT NOT NULL,
    received        INTEGER NOT NULL DEFAULT 0 CHECK (received BETWEEN 0 AND byte_size),
    complete        INTEGER NOT NULL DEFAULT 0,
    content         BLOB,
    created_at      TEXT NOT NULL,
    completed_at    TEXT
);

CREATE TABLE photo_chunk (
    upload_id       INTEGER NOT NULL REFERENCES photo_upload (id) ON DELETE CASCADE,
    start           INTEGER NOT NULL CHECK (start >= 0),
    bytes           BLOB NOT NULL,
    PRIMARY KEY (upload_id, start)
);

-- The weekly screening report (排查周报), one per village per ISO week, or a zero report.
CREATE TABLE weekly_report (
    id              INTEGER PRIMARY KEY,
    client_uuid     TEXT NOT NULL UNIQUE,
    township_id     INTEGER NOT NULL REFERENCES org_unit (id),
    village_id      INTEGER NOT NULL REFERENCES org_unit (id),
    week            TEXT NOT NULL,
    zero            INTEGER NOT NULL,
    note            TEXT,
    author_id       INTEGER NOT NULL REFERENCES app_user (id),
    device_id       TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    UNIQUE (village_id, week)
);

CREATE INDEX weekly_report_township ON weekly_report (township_id, week);

CREATE TABLE weekly_report_item (
    weekly_report_id INTEGER NOT NULL REFERENCES weekly_report (id) ON DELETE CASCADE,
    field_report_id  INTEGER NOT NULL REFERENCES field_report (id),
    PRIMARY KEY (weekly_report_id, field_report_id)
);

-- The inbox timeline: every step a clerk or the officer took on a report.
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

CREATE INDEX inbox_event_report ON inbox_event (report_id, id);

-- One row per client UUID ever stored, with the SHA-256 of its type and body: a resend
-- with the same hash is a duplicate, with another hash a conflict.
CREATE TABLE sync_receipt (
    client_uuid     TEXT PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES app_user (id),
    record_type     TEXT NOT NULL,
    body_hash       TEXT NOT NULL,
    received_at     TEXT NOT NULL
);

-- The change feed the phones pull. `seq` counts up per township; it is taken from
-- `sync_sequence` inside the writing transaction, so a change becomes visible only with
-- every change numbered before it (no pull can skip one).
CREATE TABLE sync_sequence (
    township_id     INTEGER PRIMARY KEY REFERENCES org_unit (id),
    last_seq        INTEGER NOT NULL
);

CREATE TABLE sync_change (
    township_id     INTEGER NOT NULL REFERENCES org_unit (id),
    seq             INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('inbox', 'weekly_report')),
    record_uuid     TEXT NOT NULL,
    village_id      INTEGER,
    grid_id         INTEGER,
    author_id       INTEGER,
    step            TEXT,
    state           TEXT,
    note            TEXT,
    by_name         TEXT,
    at              TEXT NOT NULL,
    PRIMARY KEY (township_id, seq)
);
