-- The transfer saga as this city sees it, transfers credited here, and what the other
-- city reported about the person's account there (for mutual loan recognition).

-- Every change of an account bumps its version, so that the other city, reading reports
-- that may arrive out of order, keeps the newest balance.
ALTER TABLE account ADD COLUMN version bigint NOT NULL DEFAULT 0;

-- One row per transfer this city takes part in: as the receiving city (it started the
-- saga) or as the sending city (it holds the account). Each city keeps its own copy,
-- moved on by the events of the other.
CREATE TABLE transfer (
    transfer_id    text        PRIMARY KEY,
    role           text        NOT NULL CHECK (role IN ('receiving', 'sending')),
    person_ref     text        NOT NULL,
    from_city      text        NOT NULL CHECK (from_city IN ('cq', 'cd')),
    to_city        text        NOT NULL CHECK (to_city IN ('cq', 'cd') AND to_city <> from_city),
    state          text        NOT NULL CHECK (state IN ('requested', 'rejected', 'funds_sent',
                                   'credited', 'completed', 'reverted', 'overdue')),
    overdue_from   text        CHECK (overdue_from IN ('requested', 'funds_sent', 'credited')),
    requested_at   timestamptz NOT NULL,
    deadline       timestamptz NOT NULL,
    amount_fen     bigint      CHECK (amount_fen >= 0),
    months_sent    integer     CHECK (months_sent >= 0),
    reason_code    text,
    reason         text,
    -- Sending city: the frozen account. Receiving city: the account credited.
    account_id     text        REFERENCES account (account_id),
    -- Receiving city only: the name the clerk gave, to open an account on credit if the
    -- person has none here. Personal data; it stays in this database.
    full_name      text,
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- A person has at most one unfinished transfer out of a city at a time (overdue is
-- unfinished: it still waits for its step).
CREATE UNIQUE INDEX transfer_one_unfinished_per_person ON transfer (person_ref, from_city)
    WHERE role = 'receiving' AND state NOT IN ('rejected', 'completed', 'reverted');

-- The overdue sweep looks for unfinished transfers past their deadline.
CREATE INDEX transfer_unfinished_by_deadline ON transfer (deadline)
    WHERE state IN ('requested', 'funds_sent', 'credited');

CREATE TABLE transfer_step (
    transfer_id text        NOT NULL REFERENCES transfer (transfer_id),
    seq         integer     NOT NULL,
    state       text        NOT NULL,
    at          timestamptz NOT NULL,
    detail      text        NOT NULL,
    PRIMARY KEY (transfer_id, seq)
);

-- A transfer is credited at most once in this city, ever: the primary key refuses a second
-- credit even if every check above it failed.
CREATE TABLE credited_transfer (
    transfer_id text        PRIMARY KEY,
    account_id  text        NOT NULL REFERENCES account (account_id),
    amount_fen  bigint      NOT NULL CHECK (amount_fen >= 0),
    credited_at timestamptz NOT NULL
);
CREATE INDEX credited_transfer_by_account ON credited_transfer (account_id);

-- The other city's accounts as reported by its deposit events: the newest balance by
-- account version, and closed once a transfer of that account was credited here.
CREATE TABLE reported_account (
    account_id  text    PRIMARY KEY,
    person_ref  text    NOT NULL,
    city        text    NOT NULL CHECK (city IN ('cq', 'cd')),
    balance_fen bigint  NOT NULL CHECK (balance_fen >= 0),
    version     bigint  NOT NULL,
    closed      boolean NOT NULL DEFAULT false
);
CREATE INDEX reported_account_by_person ON reported_account (person_ref);

CREATE TABLE reported_deposit (
    account_id text   NOT NULL,
    month      text   NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    person_ref text   NOT NULL,
    city       text   NOT NULL CHECK (city IN ('cq', 'cd')),
    amount_fen bigint NOT NULL CHECK (amount_fen > 0),
    PRIMARY KEY (account_id, month)
);
CREATE INDEX reported_deposit_by_person ON reported_deposit (person_ref);
