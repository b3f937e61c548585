-- The allowance of each person this city pays or paid, its monthly payments, the payment
-- runs, recovery claims (追缴), verifications (审验) and what the other city's events say of
-- the allowances it pays. Months are stored as the first day of the month.

CREATE TABLE allowance (
    person_ref        text PRIMARY KEY,
    paying_city       text NOT NULL CHECK (paying_city IN ('cq', 'cd')),
    state             text NOT NULL CHECK (state IN ('active', 'suspended', 'terminated')),
    band              text NOT NULL CHECK (band IN ('80-89', '90-99', '100+')),
    first_month       date NOT NULL,
    verification_due  date NOT NULL,
    suspended_from    date,
    resume_by         date,
    last_month        date,
    end_reason        text,
    granted_on        date NOT NULL,
    via               text NOT NULL CHECK (via IN ('automatic', 'application')),
    application_id    text,
    version           integer NOT NULL DEFAULT 1,
    updated_at        timestamptz NOT NULL
);

-- One payment per person and month: the primary key makes a second payment of a month
-- impossible, whichever run (or rerun) tries it. A failed payment is retried on the same
-- row (attempts + 1, a new reference).
CREATE TABLE payment (
    person_ref      text NOT NULL,
    month           date NOT NULL,
    amount_fen      integer NOT NULL CHECK (amount_fen >= 0),
    band            text NOT NULL,
    assistance      text NOT NULL CHECK (assistance IN ('none', 'dibao', 'tekun')),
    kind            text NOT NULL CHECK (kind IN ('regular', 'back-pay', 'retry')),
    run_month       date NOT NULL,
    reference       text NOT NULL UNIQUE,
    status          text NOT NULL CHECK (status IN ('issued', 'confirmed', 'failed')),
    attempts        integer NOT NULL DEFAULT 1 CHECK (attempts >= 1),
    failure_reason  text,
    PRIMARY KEY (person_ref, month)
);
CREATE INDEX payment_run_month ON payment (run_month);

-- One run per city and month. ``checkpoint`` is the last person_ref whose chunk committed:
-- a rerun continues after it. Counts accumulate chunk by chunk in the same transactions.
CREATE TABLE payment_run (
    month             date PRIMARY KEY,
    run_id            text NOT NULL UNIQUE,
    status            text NOT NULL CHECK (status IN ('running', 'completed')),
    checkpoint        text,
    granted           integer NOT NULL DEFAULT 0,
    payments          integer NOT NULL DEFAULT 0,
    amount_fen        bigint NOT NULL DEFAULT 0,
    back_payments     integer NOT NULL DEFAULT 0,
    retried           integer NOT NULL DEFAULT 0,
    suspended         integer NOT NULL DEFAULT 0,
    resumed           integer NOT NULL DEFAULT 0,
    terminated        integer NOT NULL DEFAULT 0,
    bank_file         bytea,
    bank_file_sha256  text,
    started_at        timestamptz NOT NULL,
    completed_at      timestamptz
);

-- Months paid after the allowance ended (a death or a move recorded late): to recover.
CREATE TABLE recovery_claim (
    claim_id     text PRIMARY KEY,
    person_ref   text NOT NULL,
    months       date[] NOT NULL,
    amount_fen   bigint NOT NULL CHECK (amount_fen > 0),
    reason       text NOT NULL,
    claimed_on   date NOT NULL
);
CREATE INDEX recovery_claim_person ON recovery_claim (person_ref);

-- Verifications recorded in either city; the paying city applies each once.
CREATE TABLE verification (
    verification_id  text PRIMARY KEY,
    person_ref       text NOT NULL,
    recorded_in      text NOT NULL CHECK (recorded_in IN ('cq', 'cd')),
    paying_city      text NOT NULL CHECK (paying_city IN ('cq', 'cd')),
    verified_on      date NOT NULL,
    applied          boolean NOT NULL DEFAULT false
);
CREATE INDEX verification_person ON verification (person_ref);

-- The other city's allowances as its events tell (the person's case is visible in both
-- cities): no payments, only the state.
CREATE TABLE allowance_seen (
    person_ref        text PRIMARY KEY,
    paying_city       text NOT NULL CHECK (paying_city IN ('cq', 'cd')),
    state             text NOT NULL CHECK (state IN ('active', 'suspended', 'terminated')),
    band              text NOT NULL,
    first_month       date NOT NULL,
    verification_due  date,
    last_month        date,
    updated_on        date NOT NULL
);

-- The other city's recovery claims and payment runs, as its events tell.
CREATE TABLE recovery_claim_seen (
    claim_id     text PRIMARY KEY,
    person_ref   text NOT NULL,
    paying_city  text NOT NULL,
    months       date[] NOT NULL,
    amount_fen   bigint NOT NULL,
    reason       text NOT NULL,
    claimed_on   date NOT NULL
);
CREATE INDEX recovery_claim_seen_person ON recovery_claim_seen (person_ref);

CREATE TABLE payment_run_seen (
    city              text NOT NULL,
    month             date NOT NULL,
    run_id            text NOT NULL,
    payments          integer NOT NULL,
    amount_fen        bigint NOT NULL,
    bank_file_sha256  text NOT NULL,
    PRIMARY KEY (city, month)
);
