-- The scheduler (issue 4): digests sent exactly once, fraud and abuse reports with their cards,
-- batched report notifications, hold follow-ups.

-- One scheduled digest per (local date, channel): the unique index is the exactly-once guard,
-- across restarts and processes. Forced digests (`jobgate digest --force`) are extra rows.
CREATE TABLE digest_runs (
    id           INTEGER PRIMARY KEY,
    digest_date  TEXT NOT NULL,
    channel      TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('scheduled', 'forced', 'skipped', 'quiet')),
    due_at       TEXT,
    created_at   TEXT NOT NULL,
    message_id   TEXT,
    summary      TEXT
);
CREATE UNIQUE INDEX digest_runs_once ON digest_runs (digest_date, channel)
    WHERE kind IN ('scheduled', 'skipped', 'quiet');

CREATE TABLE reports (
    id            INTEGER PRIMARY KEY,
    upstream_id   TEXT UNIQUE,
    source        TEXT NOT NULL CHECK (source IN ('platform', 'slack')),
    subject_type  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    request_id    INTEGER REFERENCES requests (id),
    employer_id   INTEGER REFERENCES employers (id),
    category      TEXT NOT NULL,
    details       TEXT,
    status        TEXT NOT NULL DEFAULT 'open',
    actions       TEXT NOT NULL DEFAULT '[]',
    payload       TEXT NOT NULL DEFAULT '{}',
    filed_by      TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    acted_at      TEXT,
    card_channel  TEXT,
    card_ts       TEXT,
    card_permalink TEXT,
    wave          TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX reports_status ON reports (status);
CREATE INDEX reports_employer ON reports (employer_id);

-- Report events waiting to be told, batched by the minute job into one message per channel
-- and one DM per person.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    target     TEXT NOT NULL,
    report_id  INTEGER REFERENCES reports (id),
    event      TEXT NOT NULL,
    line       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at    TEXT
);
CREATE INDEX notifications_unsent ON notifications (target, id) WHERE sent_at IS NULL;

-- Claim: who is working on a request (issue 5), counted by the digest.
ALTER TABLE requests ADD COLUMN assignee TEXT;
ALTER TABLE requests ADD COLUMN assigned_at TEXT;
CREATE INDEX requests_assignee ON requests (assignee, state);

-- Hold follow-ups: when the reminder went out (the expiry is the state change itself).
ALTER TABLE requests ADD COLUMN hold_reminded_at TEXT;
CREATE INDEX requests_holds ON requests (state, hold_follow_up_at, hold_expires_at)
    WHERE state = 'on_hold';
-- Keys the fraud-wave finder matches on: a contact's e-mail domain and phone digits, and the
-- registrable domain of a job's apply URL.
ALTER TABLE contacts ADD COLUMN email_domain TEXT;
ALTER TABLE contacts ADD COLUMN phone_key TEXT;
ALTER TABLE requests ADD COLUMN apply_domain TEXT;
CREATE INDEX requests_contact ON requests (contact_id);
CREATE INDEX requests_apply_domain ON requests (apply_domain) WHERE apply_domain IS NOT NULL;
CREATE INDEX contacts_email ON contacts (email);
CREATE INDEX contacts_email_domain ON contacts (email_domain) WHERE email_domain IS NOT NULL;
CREATE INDEX contacts_phone_key ON contacts (phone_key) WHERE phone_key IS NOT NULL;

INSERT INTO decline_reasons (code, label, message, position) VALUES
  ('no_response', 'No response to our question',
   'We did not hear back about our question, so we could not approve this request. You are welcome to submit it again with the details.', 12);

-- The digest's aggregates read only this index (no table rows); its listing walks the queue
-- oldest first.
DROP INDEX requests_state;
CREATE INDEX requests_queue ON requests (state, kind, received_at, risk_level, flagged_by);
CREATE INDEX requests_age ON requests (state, received_at);
