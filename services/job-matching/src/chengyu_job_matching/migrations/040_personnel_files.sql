-- Personnel files (人事档案, personnel_files area). A person is only ever a person_ref here
-- (the keyed hash of the ID number, the same in both cities): no ID number is stored.

-- file_holding: both cities' indexes of the files they hold, one row per person and city:
-- this city's rows written by its clerks and transfers, the other city's from its
-- PersonnelFileHeld events (the highest version wins). ``held`` false: the file left.
CREATE TABLE file_holding (
    person_ref      text NOT NULL,
    city            text NOT NULL CHECK (city IN ('cq', 'cd')),
    version         integer NOT NULL CHECK (version >= 1),
    held            boolean NOT NULL,
    centre_id       text NOT NULL,
    centre_name     text NOT NULL,
    held_since      date NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (person_ref, city)
);
CREATE INDEX file_holding_held ON file_holding (person_ref) WHERE held;

-- file_centre: the talent-service centres of both cities met so far (by a holding), so a
-- transfer to a centre needs only its id.
CREATE TABLE file_centre (
    city            text NOT NULL CHECK (city IN ('cq', 'cd')),
    centre_id       text NOT NULL,
    centre_name     text NOT NULL,
    PRIMARY KEY (city, centre_id)
);

-- file_transfer: every transfer this city takes part in (as holder or receiving city), as
-- the pure personnel_files.transfer.Transfer; ``due_step``/``due_on`` the step it waits for
-- and its day (null once completed); ``holding_moved`` whether this city has published its
-- side of the move (held=false by the holder, held=true by the receiving city).
CREATE TABLE file_transfer (
    transfer_id             text PRIMARY KEY,
    person_ref              text NOT NULL,
    holder_city             text NOT NULL CHECK (holder_city IN ('cq', 'cd')),
    to_city                 text NOT NULL CHECK (to_city IN ('cq', 'cd') AND to_city <> holder_city),
    to_centre_id            text NOT NULL,
    state                   text NOT NULL CHECK (state IN
                            ('requested', 'dispatched', 'incomplete', 'supplemented', 'completed')),
    requested_at            timestamptz NOT NULL,
    dispatch_by             date NOT NULL,
    dispatch_method         text CHECK (dispatch_method IN ('confidential-courier', 'tracked-post')),
    dispatch_tracking       text,
    dispatched_at           timestamptz,
    receive_by              date,
    received_at             timestamptz,
    missing_parts           jsonb NOT NULL DEFAULT '[]',
    supplement_by           date,
    supplement_method       text CHECK (supplement_method IN ('confidential-courier', 'tracked-post')),
    supplement_tracking     text,
    supplemented_at         timestamptz,
    completed_at            timestamptz,
    due_step                text CHECK (due_step IN ('dispatch', 'receive', 'supplement')),
    due_on                  date,
    holding_moved           boolean NOT NULL DEFAULT false,
    version                 integer NOT NULL CHECK (version >= 1),
    updated_at              timestamptz NOT NULL
);
-- At most one open transfer of a person's file.
CREATE UNIQUE INDEX file_transfer_one_open ON file_transfer (person_ref) WHERE state <> 'completed';
CREATE INDEX file_transfer_due ON file_transfer (due_on) WHERE due_on IS NOT NULL;
CREATE INDEX file_transfer_state ON file_transfer (state, requested_at);

-- file_certificate: certificates based on a file (出具证明) requested in either city and
-- answered by the holder; ``document_text`` only in the holder's database (the bus carries
-- its sha256).
CREATE TABLE file_certificate (
    certificate_id      text PRIMARY KEY,
    person_ref          text NOT NULL,
    holder_city         text NOT NULL CHECK (holder_city IN ('cq', 'cd')),
    requesting_city     text NOT NULL CHECK (requesting_city IN ('cq', 'cd')),
    kind                text NOT NULL CHECK (kind IN
                        ('file-held', 'employment-history', 'cadre-status', 'political-review', 'other')),
    purpose             text NOT NULL,
    state               text NOT NULL CHECK (state IN ('requested', 'issued', 'refused')),
    requested_at        timestamptz NOT NULL,
    answer_by           date NOT NULL,
    certificate_number  text,
    document_sha256     text CHECK (document_sha256 ~ '^[0-9a-f]{64}$'),
    document_text       text,
    reason              text,
    answered_at         timestamptz,
    updated_at          timestamptz NOT NULL
);
CREATE INDEX file_certificate_open ON file_certificate (answer_by) WHERE state = 'requested';

-- file_overdue: the reminders of late steps, sent once per step and deadline by the
-- requesting city and kept by both (``subject_id`` a transfer_id or a certificate_id).
CREATE TABLE file_overdue (
    subject_id      text NOT NULL,
    step            text NOT NULL CHECK (step IN ('dispatch', 'receive', 'supplement', 'certificate')),
    due_on          date NOT NULL,
    flagged_on      date NOT NULL,
    person_ref      text NOT NULL,
    holder_city     text NOT NULL CHECK (holder_city IN ('cq', 'cd')),
    to_city         text NOT NULL CHECK (to_city IN ('cq', 'cd')),
    PRIMARY KEY (subject_id, step, due_on)
);
