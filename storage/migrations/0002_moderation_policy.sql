-- Moderation policy (issue 3): screening results, duplicates, trusted employers' auto-approval,
-- labels, saved searches, bulk runs.

-- What filters and duplicate checks read, kept as columns so they are indexed.
ALTER TABLE requests ADD COLUMN title_key TEXT;
ALTER TABLE requests ADD COLUMN location TEXT;
ALTER TABLE requests ADD COLUMN fingerprint BLOB;
-- Screening: signals (JSON list of {rule_id, severity, evidence, explanation}), the highest
-- severity among them (NULL when none), and the URL reputation verdicts.
ALTER TABLE requests ADD COLUMN signals TEXT NOT NULL DEFAULT '[]';
ALTER TABLE requests ADD COLUMN risk_level TEXT CHECK (risk_level IN ('low', 'medium', 'high'));
ALTER TABLE requests ADD COLUMN url_checks TEXT;
-- Screening of the current version: 'pending' (not yet screened), 'urls' (screened, waiting
-- for the URL reputation check), 'done'.
ALTER TABLE requests ADD COLUMN screening TEXT NOT NULL DEFAULT 'done'
    CHECK (screening IN ('pending', 'urls', 'done'));
ALTER TABLE requests ADD COLUMN duplicate_of INTEGER REFERENCES requests (id);
ALTER TABLE requests ADD COLUMN duplicate_similarity REAL;
-- Flagged as suspicious by a person (who, when, why).
ALTER TABLE requests ADD COLUMN flagged_by TEXT;
ALTER TABLE requests ADD COLUMN flagged_at TEXT;
ALTER TABLE requests ADD COLUMN flag_reason TEXT;
-- Why a trusted employer's job was, or was not, approved automatically.
ALTER TABLE requests ADD COLUMN auto_note TEXT;
ALTER TABLE requests ADD COLUMN card_permalink TEXT;

CREATE INDEX requests_duplicates ON requests (employer_id, title_key) WHERE kind = 'job';
CREATE INDEX requests_risk ON requests (state, risk_level);
CREATE INDEX requests_screening ON requests (screening) WHERE screening != 'done';

-- LSH band keys of job descriptions: near-identical text across employers in one look-up.
CREATE TABLE text_bands (
    band_key   TEXT NOT NULL,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    PRIMARY KEY (band_key, request_id)
) WITHOUT ROWID;
CREATE INDEX text_bands_request ON text_bands (request_id);

ALTER TABLE employers ADD COLUMN industry TEXT;
ALTER TABLE employers ADD COLUMN size TEXT;
ALTER TABLE employers ADD COLUMN location TEXT;
ALTER TABLE employers ADD COLUMN trusted_by TEXT;
ALTER TABLE employers ADD COLUMN trusted_at TEXT;

CREATE TABLE labels (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    retired    INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
INSERT INTO labels (name, created_at, created_by) VALUES
  ('White Glove', '2026-01-01T00:00:00.000Z', 'jobgate'),
  ('Career fair attendee', '2026-01-01T00:00:00.000Z', 'jobgate'),
  ('Sponsor employer', '2026-01-01T00:00:00.000Z', 'jobgate'),
  ('Alumni', '2026-01-01T00:00:00.000Z', 'jobgate'),
  ('Local employer', '2026-01-01T00:00:00.000Z', 'jobgate'),
  ('On-campus interviewing', '2026-01-01T00:00:00.000Z', 'jobgate');

CREATE TABLE employer_labels (
    employer_id INTEGER NOT NULL REFERENCES employers (id),
    label_id    INTEGER NOT NULL REFERENCES labels (id),
    added_at    TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    PRIMARY KEY (employer_id, label_id)
) WITHOUT ROWID;
CREATE INDEX employer_labels_label ON employer_labels (label_id);

CREATE TABLE contact_labels (
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    label_id   INTEGER NOT NULL REFERENCES labels (id),
    added_at   TEXT NOT NULL,
    added_by   TEXT NOT NULL,
    PRIMARY KEY (contact_id, label_id)
) WITHOUT ROWID;
CREATE INDEX contact_labels_label ON contact_labels (label_id);

CREATE TABLE saved_searches (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    filter     TEXT NOT NULL,
    in_digest  INTEGER NOT NULL DEFAULT 0 CHECK (in_digest IN (0, 1)),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A bulk decision and the progress message that follows its card updates.
CREATE TABLE bulk_runs (
    id          INTEGER PRIMARY KEY,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    filter      TEXT NOT NULL,
    total       INTEGER NOT NULL,
    skipped     INTEGER NOT NULL DEFAULT 0,
    cards_done  INTEGER NOT NULL DEFAULT 0,
    channel     TEXT,
    message_ts  TEXT,
    created_at  TEXT NOT NULL,
    finished_at TEXT
);
