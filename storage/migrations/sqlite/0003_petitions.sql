-- Petitions: the matter, the petitioner's identity kept apart from it, the people named
-- in it, the written decisions, attachments, and the timeline of every step.
-- The lifecycle's rules live in domain::petition; the CHECKs here only keep the names
-- within the vocabulary.

CREATE TABLE petition (
    id                  INTEGER PRIMARY KEY,
    tracking_code       TEXT NOT NULL UNIQUE,
    -- SHA-256 of the query password (random, ~50 bits; see domain::petition).
    query_secret_hash   TEXT NOT NULL,
    -- The public form's one-time key: the same form posted twice is one petition.
    submission_key      TEXT UNIQUE,
    channel             TEXT NOT NULL CHECK (channel IN ('letter', 'visit', 'phone', 'fax', 'online', 'agent')),
    kind                TEXT NOT NULL CHECK (kind IN ('suggestion', 'report_accusation', 'request_complaint')),
    state               TEXT NOT NULL CHECK (state IN ('submitted', 'registered', 'forwarded', 'assigned',
                            'accepted', 'declined', 'in_handling', 'extended', 'replied', 'evaluated',
                            'review_requested', 'reviewed', 're_review_requested', 're_reviewed',
                            'concluded', 'withdrawn')),
    has_decision        INTEGER NOT NULL DEFAULT 0 CHECK (has_decision IN (0, 1)),
    township_id         INTEGER NOT NULL REFERENCES org_unit (id),
    village_id          INTEGER REFERENCES org_unit (id),
    -- The department it is assigned to (交办), if any.
    department_id       INTEGER REFERENCES org_unit (id),
    -- The competent body outside the township it was forwarded to (转送), if any.
    forwarded_to        TEXT,
    subject             TEXT NOT NULL,
    content             TEXT NOT NULL,
    request             TEXT,
    facts_reasons       TEXT,
    batch_count         INTEGER NOT NULL DEFAULT 1 CHECK (batch_count >= 1),
    person_count        INTEGER NOT NULL DEFAULT 1 CHECK (person_count >= 1),
    collective          INTEGER NOT NULL DEFAULT 0 CHECK (collective IN (0, 1)),
    received_at         TEXT NOT NULL,
    registered_at       TEXT,
    accepted_at         TEXT,
    extension_days      INTEGER NOT NULL DEFAULT 0 CHECK (extension_days BETWEEN 0 AND 30),
    reply_delivered_on  TEXT,
    evaluation          TEXT CHECK (evaluation IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
    evaluation_comment  TEXT,
    evaluated_at        TEXT,
    -- The agent who filed it for a resident (代理), and how the resident consented.
    agent_user_id       INTEGER REFERENCES app_user (id),
    agent_consent       TEXT,
    created_by          INTEGER REFERENCES app_user (id),
    updated_at          TEXT NOT NULL
);

CREATE INDEX petition_township ON petition (township_id, received_at);
CREATE INDEX petition_township_state ON petition (township_id, state, received_at);
CREATE INDEX petition_village ON petition (village_id, received_at);
CREATE INDEX petition_department ON petition (department_id, received_at);
CREATE INDEX petition_agent ON petition (agent_user_id);

-- Who filed it: read only by the petition office, every read audited (PIPL Art. 28).
CREATE TABLE petitioner (
    petition_id     INTEGER PRIMARY KEY REFERENCES petition (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    resident_id     TEXT,
    phone           TEXT,
    address         TEXT,
    consent_at      TEXT
);

CREATE INDEX petitioner_phone ON petitioner (phone);
CREATE INDEX petitioner_resident_id ON petitioner (resident_id);

-- A group visit's representatives, at most five (Art. 20).
CREATE TABLE petition_representative (
    petition_id     INTEGER NOT NULL REFERENCES petition (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL CHECK (position BETWEEN 1 AND 5),
    name            TEXT NOT NULL,
    PRIMARY KEY (petition_id, position)
);

-- The person or unit a report or accusation names. Never shown to the petitioner's
-- public page, and the petitioner's identity is never shown to the departments.
CREATE TABLE reported_party (
    petition_id     INTEGER PRIMARY KEY REFERENCES petition (id) ON DELETE CASCADE,
    name            TEXT,
    unit            TEXT,
    details         TEXT
);

-- Written decisions (处理意见书): the first one, then a review's and a re-review's.
CREATE TABLE petition_decision (
    petition_id     INTEGER NOT NULL REFERENCES petition (id) ON DELETE CASCADE,
    level           TEXT NOT NULL CHECK (level IN ('first', 'review', 're_review')),
    request         TEXT NOT NULL,
    facts_reasons   TEXT NOT NULL,
    decision        TEXT NOT NULL,
    legal_basis     TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('supported', 'explained', 'not_supported')),
    decided_by      INTEGER REFERENCES app_user (id),
    decided_at      TEXT NOT NULL,
    PRIMARY KEY (petition_id, level)
);

-- The timeline: one row per step taken. `public_note` is what the petitioner may read
-- (decline reasons, the reply); `note` stays in the office.
CREATE TABLE petition_event (
    id              INTEGER PRIMARY KEY,
    petition_id     INTEGER NOT NULL REFERENCES petition (id) ON DELETE CASCADE,
    at              TEXT NOT NULL,
    step            TEXT NOT NULL,
    from_state      TEXT,
    to_state        TEXT NOT NULL,
    actor_user_id   INTEGER REFERENCES app_user (id),
    by_petitioner   INTEGER NOT NULL DEFAULT 0 CHECK (by_petitioner IN (0, 1)),
    public          INTEGER NOT NULL CHECK (public IN (0, 1)),
    department_id   INTEGER REFERENCES org_unit (id),
    note            TEXT,
    public_note     TEXT
);

CREATE INDEX petition_event_petition ON petition_event (petition_id, id);

CREATE TABLE petition_attachment (
    id              INTEGER PRIMARY KEY,
    petition_id     INTEGER NOT NULL REFERENCES petition (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL CHECK (position BETWEEN 1 AND 5),
    file_name       TEXT NOT NULL,
    media_type      TEXT NOT NULL CHECK (media_type IN ('jpeg', 'png', 'webp', 'pdf')),
    byte_size       INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    content         BLOB NOT NULL,
    UNIQUE (petition_id, position)
);

-- The day's running number behind each tracking code.
CREATE TABLE tracking_sequence (
    day             TEXT PRIMARY KEY,
    last_number     INTEGER NOT NULL
);

-- Public submissions by address and by phone, for the form's rate limits. Pruned.
CREATE TABLE public_submission (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL,
    at              TEXT NOT NULL
);

CREATE INDEX public_submission_key ON public_submission (key, at);

-- What the office publishes (Art. 18): channels, address, phone, reception days.
CREATE TABLE office_info (
    township_id         INTEGER PRIMARY KEY REFERENCES org_unit (id),
    address             TEXT NOT NULL,
    phone               TEXT NOT NULL,
    mailing_address     TEXT NOT NULL,
    reception           TEXT NOT NULL,
    notes               TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    updated_by          INTEGER REFERENCES app_user (id)
);

-- Secrets the server keeps across restarts and instances (the form challenge's key).
CREATE TABLE app_secret (
    name            TEXT PRIMARY KEY,
    value           TEXT NOT NULL
);

-- Chinese full-text search over subject and content: trigrams need no word splitting.
CREATE VIRTUAL TABLE petition_fts USING fts5 (
    subject, content, content = 'petition', content_rowid = 'id', tokenize = 'trigram'
);

CREATE TRIGGER petition_fts_insert AFTER INSERT ON petition BEGIN
    INSERT INTO petition_fts (rowid, subject, content) VALUES (new.id, new.subject, new.content);
END;

CREATE TRIGGER petition_fts_delete AFTER DELETE ON petition BEGIN
    INSERT INTO petition_fts (petition_fts, rowid, subject, content)
    VALUES ('delete', old.id, old.subject, old.content);
END;

CREATE TRIGGER petition_fts_update AFTER UPDATE OF subject, content ON petition BEGIN
    INSERT INTO petition_fts (petition_fts, rowid, subject, content)
    VALUES ('delete', old.id, old.subject, old.content);
    INSERT INTO petition_fts (rowid, subject, content) VALUES (new.id, new.subject, new.content);
END;
