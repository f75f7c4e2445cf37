-- The organisation tree: county → township → village → grid, and departments.
CREATE TABLE org_unit (
    id          INTEGER PRIMARY KEY,
    parent_id   INTEGER REFERENCES org_unit (id),
    kind        TEXT NOT NULL CHECK (kind IN ('county', 'township', 'village', 'grid', 'department')),
    name        TEXT NOT NULL,
    code        TEXT UNIQUE,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (parent_id, kind, name)
);

CREATE INDEX org_unit_parent ON org_unit (parent_id);
