-- Retirement-city claims as this city saw them on the bus, the person's one determination,
-- and review flags raised when history changed after it.

-- Claims are decided strictly in the order this city consumed them (seq), which is the log
-- order of the person's partition, the same in both cities. A claim requested here is
-- saved as 'submitted' (no seq) by the HTTP request and gets its seq when its event is
-- consumed back from the bus.
CREATE SEQUENCE retirement_claim_seq;

CREATE TABLE retirement_claim (
    request_id       text        PRIMARY KEY,
    person_ref       text        NOT NULL,
    requested_in     text        NOT NULL CHECK (requested_in IN ('cq', 'cd')),
    chosen_city      text        NOT NULL CHECK (chosen_city IN ('cq', 'cd')),
    sex              text        NOT NULL CHECK (sex IN ('male', 'female')),
    retirement_date  date        NOT NULL,
    requested_at     timestamptz NOT NULL,
    seq              bigint      UNIQUE,
    state            text        NOT NULL
        CHECK (state IN ('submitted', 'pending', 'determined', 'refused')),
    code             text,
    reason           text,
    figures          jsonb,
    shortfalls       jsonb,
    alternative_city text        CHECK (alternative_city IN ('cq', 'cd')),
    determined_city  text        CHECK (determined_city IN ('cq', 'cd')),
    decided_at       timestamptz,
    CHECK ((state IN ('submitted', 'pending')) = (decided_at IS NULL)),
    CHECK ((state = 'submitted') = (seq IS NULL))
);
-- The undecided claims of a person, in order: what the decider looks at.
CREATE INDEX retirement_claim_pending ON retirement_claim (person_ref, seq)
    WHERE state = 'pending';
CREATE INDEX retirement_claim_by_person ON retirement_claim (person_ref);

-- A person has at most one retirement city: the primary key refuses a second one even if
-- every check above it failed.
CREATE TABLE retirement_determination (
    person_ref      text        PRIMARY KEY,
    request_id      text        NOT NULL UNIQUE REFERENCES retirement_claim (request_id),
    city            text        NOT NULL CHECK (city IN ('cq', 'cd')),
    sex             text        NOT NULL CHECK (sex IN ('male', 'female')),
    retirement_date date        NOT NULL,
    figures         jsonb       NOT NULL,
    determined_at   timestamptz NOT NULL
);

-- One flag per version of a period that changed a determination's figures; raised by the
-- determined city, copied by the other from its event.
CREATE TABLE retirement_review_flag (
    person_ref     text        NOT NULL,
    period_id      text        NOT NULL,
    period_version integer     NOT NULL,
    request_id     text        NOT NULL,
    city           text        NOT NULL CHECK (city IN ('cq', 'cd')),
    code           text        NOT NULL,
    reason         text        NOT NULL,
    figures_before jsonb       NOT NULL,
    figures_after  jsonb       NOT NULL,
    flagged_at     timestamptz NOT NULL,
    PRIMARY KEY (person_ref, period_id, period_version)
);

-- The read behind every period version applied here, in one round trip: take the person's
-- lock (the one chengyu_insurance_years.store.lock_person takes: first key 0x4D49 = 19785),
-- then read their ledger and the city of their determination. A VOLATILE function takes a
-- fresh snapshot for each statement it runs, so the read sees every change committed by
-- whoever held the lock before; a plain statement would read from a snapshot taken before
-- it waited for the lock.
CREATE FUNCTION medins_locked_ledger(ref text)
RETURNS TABLE (period_id text, person_ref text, city text, start_month text,
               end_month text, kind text, version integer, cancelled boolean,
               determined_city text)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    PERFORM pg_advisory_xact_lock(19785, hashtext(ref));
    RETURN QUERY
        SELECT p.period_id, p.person_ref, p.city, p.start_month, p.end_month, p.kind,
               p.version, p.cancelled,
               (SELECT d.city FROM retirement_determination d WHERE d.person_ref = ref)
        FROM (SELECT 1) AS one LEFT JOIN contribution_period p ON p.person_ref = ref
        ORDER BY p.period_id;
END
$$;
