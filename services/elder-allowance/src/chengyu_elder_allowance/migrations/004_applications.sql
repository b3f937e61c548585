-- Allowance applications accepted in either city (异地受理). Every city keeps every
-- application it hears of (the one it accepted, and the others' from the bus); only the
-- paying city decides and flags overdue, the others copy its answers. No personal data:
-- the person is their person_ref.
CREATE TABLE allowance_application (
    application_id  text PRIMARY KEY,
    person_ref      text NOT NULL,
    accepted_in     text NOT NULL CHECK (accepted_in IN ('cq', 'cd')),
    paying_city     text NOT NULL CHECK (paying_city IN ('cq', 'cd')),
    submitted_on    date NOT NULL,
    decide_by       date NOT NULL,
    state           text NOT NULL CHECK (state IN ('submitted', 'approved', 'refused')),
    overdue_on      date,
    decided_on      date,
    reason_code     text,
    reason          text,
    -- The day the paying city first tried to decide on receipt (once per application: a
    -- second copy of the application never tries again).
    first_look_on   date,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    updated_by      text,
    request_id      text,
    CHECK (decide_by > submitted_on),
    CHECK ((state = 'submitted') = (decided_on IS NULL)),
    CHECK ((state = 'refused') = (reason_code IS NOT NULL))
);
CREATE INDEX allowance_application_by_person ON allowance_application (person_ref);
CREATE INDEX allowance_application_open ON allowance_application (decide_by)
    WHERE state = 'submitted' AND overdue_on IS NULL;
