-- 12333 requests forwarded between the cities (hotline area).
--
-- hotline_request: every request this city forwarded or received, one row each, kept by
-- both cities (each from its own writes and the other's events); the pure
-- hotline.request.HotlineRequest. ``version`` counts the steps applied. ``caller_ref`` is
-- the citizen's person_ref or the enterprise's unified social credit code (never an ID
-- number); ``signed_on`` / ``resolved_on`` are the days in China of those steps (metrics).
CREATE TABLE hotline_request (
    request_id      text PRIMARY KEY,
    from_city       text NOT NULL CHECK (from_city IN ('cq', 'cd')),
    to_city         text NOT NULL CHECK (to_city IN ('cq', 'cd') AND to_city <> from_city),
    category        text NOT NULL
                    CHECK (category IN ('consultation', 'help', 'complaint', 'suggestion', 'urgent')),
    caller_kind     text NOT NULL CHECK (caller_kind IN ('citizen', 'enterprise')),
    caller_ref      text,
    summary         text NOT NULL,
    received_at     timestamptz NOT NULL,
    state           text NOT NULL CHECK (state IN
                    ('forwarded', 'signed', 'returned', 'resolved', 'closed', 'reopened')),
    attempt         integer NOT NULL CHECK (attempt >= 1),
    forwarded_at    timestamptz NOT NULL,
    sign_by         date NOT NULL,
    first_sign_by   date NOT NULL,
    signed_at       timestamptz,
    signed_on       date,
    signed_attempt  integer,
    resolve_by      date,
    resolved_at     timestamptz,
    resolved_on     date,
    resolution      text,
    return_reason   text,
    feedback        text CHECK (feedback IN
                    ('satisfied', 'basically-satisfied', 'dissatisfied', 'unreachable')),
    callback_at     timestamptz,
    reopens         integer NOT NULL DEFAULT 0 CHECK (reopens >= 0),
    history         jsonb NOT NULL,
    version         integer NOT NULL CHECK (version >= 1),
    updated_at      timestamptz NOT NULL
);
CREATE INDEX hotline_request_from ON hotline_request (from_city, state, forwarded_at);
CREATE INDEX hotline_request_to ON hotline_request (to_city, state, forwarded_at);

-- hotline_extension: extensions asked by the receiving city and their decisions.
CREATE TABLE hotline_extension (
    extension_id    text PRIMARY KEY,
    request_id      text NOT NULL REFERENCES hotline_request (request_id),
    position        integer NOT NULL CHECK (position >= 1),
    working_days    integer NOT NULL CHECK (working_days >= 1),
    reason          text NOT NULL,
    requested_at    timestamptz NOT NULL,
    state           text NOT NULL CHECK (state IN ('requested', 'approved', 'refused')),
    decided_at      timestamptz,
    decision_reason text,
    resolve_by      date,
    UNIQUE (request_id, position)
);

-- hotline_overdue: one reminder per request, step and deadline (the forwarding city's
-- sweep inserts it with its event, so a restart never sends two; the receiving city keeps
-- the event's). No foreign key: a reminder may arrive before the request it names.
CREATE TABLE hotline_overdue (
    request_id      text NOT NULL,
    step            text NOT NULL CHECK (step IN ('sign', 'resolve')),
    due_on          date NOT NULL,
    flagged_on      date NOT NULL,
    PRIMARY KEY (request_id, step, due_on)
);

-- hotline_caller: the caller's phone, for the callback; only in the forwarding city, never
-- published, never answered unmasked.
CREATE TABLE hotline_caller (
    request_id      text PRIMARY KEY REFERENCES hotline_request (request_id),
    phone           text NOT NULL
);
