-- Document numbers (发文字号, e.g. 信受〔2026〕12号): each document the office issues for a
-- petition (receipt_notice, decline_notice, assignment, decision; domain::document) gets
-- the next number of its township, kind and China calendar year, in the transaction of
-- the step that issues it, and keeps it for every reprint.

-- The last number given per township, kind and year. The row is updated with RETURNING,
-- so its lock orders concurrent writers and no number is handed out twice.
CREATE TABLE document_sequence (
    township_id     INTEGER NOT NULL REFERENCES org_unit (id),
    kind            TEXT NOT NULL CHECK (kind IN ('receipt_notice', 'decline_notice', 'assignment', 'decision')),
    year            INTEGER NOT NULL,
    last_number     INTEGER NOT NULL CHECK (last_number >= 1),
    PRIMARY KEY (township_id, kind, year)
);

-- The number a petition's document carries; one per kind (an assignment after a return
-- is numbered anew, the row then holds the new number).
CREATE TABLE petition_document (
    petition_id     INTEGER NOT NULL REFERENCES petition (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('receipt_notice', 'decline_notice', 'assignment', 'decision')),
    township_id     INTEGER NOT NULL REFERENCES org_unit (id),
    year            INTEGER NOT NULL,
    number          INTEGER NOT NULL CHECK (number >= 1),
    issued_at       TEXT NOT NULL,
    PRIMARY KEY (petition_id, kind),
    UNIQUE (township_id, kind, year, number)
);

-- Petitions already past those steps are numbered in the order the steps were taken,
-- per township, kind and year: registration (registered_at), the decline, the current
-- assignment (its latest assign step, while still assigned) and the first recording of
-- the decision. China's year is UTC + 8 hours (no daylight saving).
INSERT INTO petition_document (petition_id, kind, township_id, year, number, issued_at)
SELECT id, kind, township_id, year,
       ROW_NUMBER() OVER (PARTITION BY township_id, kind, year ORDER BY at, id), at
FROM (
    SELECT id, kind, township_id, at, CAST(strftime('%Y', at, '+8 hours') AS INTEGER) AS year
    FROM (
        SELECT id, 'receipt_notice' AS kind, township_id, registered_at AS at
        FROM petition WHERE registered_at IS NOT NULL
        UNION ALL
        SELECT p.id, 'decline_notice', p.township_id, e.at
        FROM petition p JOIN petition_event e ON e.petition_id = p.id
        WHERE e.id = (SELECT MAX(id) FROM petition_event WHERE petition_id = p.id AND step = 'decline')
        UNION ALL
        SELECT p.id, 'assignment', p.township_id, e.at
        FROM petition p JOIN petition_event e ON e.petition_id = p.id
        WHERE p.department_id IS NOT NULL
          AND e.id = (SELECT MAX(id) FROM petition_event WHERE petition_id = p.id AND step = 'assign')
        UNION ALL
        SELECT p.id, 'decision', p.township_id, e.at
        FROM petition p JOIN petition_event e ON e.petition_id = p.id
        WHERE p.has_decision = 1
          AND e.id = (SELECT MIN(id) FROM petition_event WHERE petition_id = p.id AND step = 'record_decision')
    ) AS steps
) AS issued;

INSERT INTO document_sequence (township_id, kind, year, last_number)
SELECT township_id, kind, year, MAX(number) FROM petition_document GROUP BY township_id, kind, year;
