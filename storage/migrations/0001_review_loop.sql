-- The review loop: employers, contacts, requests, the append-only audit record,
-- discussion notes, the outbox, inbound delivery ids, workspace settings, decline reasons.
-- Instants are UTC text 'YYYY-MM-DDTHH:MM:SS.mmmZ' (sortable, julianday() reads it).

CREATE TABLE employers (
    id            INTEGER PRIMARY KEY,
    upstream_id   TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'unreviewed'
                  CHECK (status IN ('unreviewed', 'pending', 'approved', 'declined', 'on_hold',
                                    'expired', 'removed', 'suspended')),
    trusted       INTEGER NOT NULL DEFAULT 0 CHECK (trusted IN (0, 1)),
    website       TEXT,
    first_seen_at TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX employers_name_key ON employers (name_key);

CREATE TABLE contacts (
    id            INTEGER PRIMARY KEY,
    upstream_id   TEXT NOT NULL UNIQUE,
    employer_id   INTEGER REFERENCES employers (id),
    name          TEXT,
    email         TEXT,
    phone         TEXT,
    first_seen_at TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX contacts_employer ON contacts (employer_id);

CREATE TABLE requests (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('employer', 'job')),
    upstream_id      TEXT NOT NULL,
    employer_id      INTEGER NOT NULL REFERENCES employers (id),
    contact_id       INTEGER REFERENCES contacts (id),
    state            TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'approved', 'declined', 'on_hold', 'expired',
                                      'removed')),
    title            TEXT NOT NULL,
    payload          TEXT NOT NULL,
    previous_payload TEXT,
    version          INTEGER NOT NULL DEFAULT 1,
    requested_at     TEXT,
    received_at      TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    decided_at       TEXT,
    decided_by       TEXT,
    decided_via      TEXT,
    last_audit_id    INTEGER,
    hold_question    TEXT,
    hold_follow_up_at TEXT,
    hold_expires_at  TEXT,
    card_channel     TEXT,
    card_ts          TEXT,
    UNIQUE (kind, upstream_id)
);
CREATE INDEX requests_state ON requests (state, kind, received_at);
CREATE INDEX requests_employer ON requests (employer_id, kind, state);
CREATE INDEX requests_card ON requests (card_channel, card_ts);

-- Append-only: every decision, undo, refusal and change, with who, when and via what.
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER REFERENCES requests (id),
    employer_id INTEGER REFERENCES employers (id),
    action      TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT,
    actor       TEXT NOT NULL,
    via         TEXT NOT NULL CHECK (via IN ('button', 'bulk', 'command', 'auto', 'api', 'modal',
                                             'scheduler', 'shortcut', 'event', 'home')),
    reasons     TEXT NOT NULL DEFAULT '[]',
    message     TEXT,
    note        TEXT,
    details     TEXT NOT NULL DEFAULT '{}',
    at          TEXT NOT NULL
);
CREATE INDEX audit_request ON audit (request_id, id);
CREATE INDEX audit_actor ON audit (actor, at);
CREATE INDEX audit_at ON audit (at);
CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only');
END;
CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only');
END;

CREATE TABLE notes (
    id            INTEGER PRIMARY KEY,
    request_id    INTEGER NOT NULL REFERENCES requests (id),
    author        TEXT NOT NULL,
    text          TEXT NOT NULL,
    slack_channel TEXT,
    slack_ts      TEXT,
    created_at    TEXT NOT NULL,
    edited_at     TEXT,
    deleted_at    TEXT,
    UNIQUE (slack_channel, slack_ts)
);
CREATE INDEX notes_request ON notes (request_id, id);

-- Transactional outbox: Slack messages and platform webhooks, written with the change
-- that caused them, delivered in order per lane, at least once.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT NOT NULL UNIQUE,
    lane            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'dead', 'superseded')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    first_attempt_at TEXT,
    lease_owner     TEXT,
    lease_until     TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT
);
CREATE INDEX outbox_lane_head ON outbox (lane, id) WHERE state = 'pending';
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';

-- Inbound calls seen, by Standard Webhooks id: a repeat gets the first answer.
CREATE TABLE inbound_deliveries (
    webhook_id  TEXT PRIMARY KEY,
    endpoint    TEXT NOT NULL,
    status      INTEGER NOT NULL,
    response    TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX inbound_deliveries_received ON inbound_deliveries (received_at);

-- Workspace settings (SPEC section 3): JSON values, editable by admins.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE decline_reasons (
    code     TEXT PRIMARY KEY,
    label    TEXT NOT NULL,
    message  TEXT NOT NULL,
    position INTEGER NOT NULL,
    retired  INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1))
);

INSERT INTO decline_reasons (code, label, message, position) VALUES
  ('upfront_cost', 'Fees or upfront cost to applicants',
   'Postings may not ask students to pay fees or any upfront cost.', 1),
  ('third_party_recruiter', 'Third-party recruiter or staffing agency',
   'We do not accept postings from third-party recruiters or staffing agencies; please have the hiring employer post directly.', 2),
  ('unverified_employer', 'Employer could not be verified',
   'We could not verify your organization. Please reply with a company website, a business email address and a business address.', 3),
  ('no_business_address', 'Residential or missing business address',
   'We need a business address (not a residential one) before we can approve.', 4),
  ('insufficient_detail', 'Not enough detail (duties, pay, location)',
   'Please add the duties, the pay and the work location so students can judge the role.', 5),
  ('commission_or_unpaid', 'Commission-only or unpaid',
   'We do not post commission-only roles or unpaid positions that do not meet our internship guidelines.', 6),
  ('not_relevant', 'Not relevant to our students',
   'This opportunity does not match what our students are looking for.', 7),
  ('duplicate_posting', 'Duplicate posting',
   'This posting duplicates one you already have with us.', 8),
  ('policy_violation', 'Against school policy',
   'This posting does not meet our employer and posting policy.', 9),
  ('suspected_fraud', 'Suspected fraud',
   'We are unable to approve this posting.', 10),
  ('employer_not_approved', 'Employer not approved',
   'Your organization is not approved to recruit at our school, so its postings cannot be approved.', 11);

-- Facts jobgate keeps about itself (e.g. the platform endpoint answered 410 Gone).
CREATE TABLE system_state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
