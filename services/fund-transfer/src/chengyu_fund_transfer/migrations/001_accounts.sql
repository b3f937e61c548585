-- Provident-fund accounts of this city and their monthly deposits. Amounts are integer
-- fen (分). The resident ID number is never stored: only its person_ref pseudonym. The
-- name is personal data and stays in this city's database; it never goes on the bus.
CREATE TABLE account (
    account_id             text        PRIMARY KEY,
    person_ref             text        NOT NULL,
    full_name              text        NOT NULL,
    city                   text        NOT NULL CHECK (city IN ('cq', 'cd')),
    kind                   text        NOT NULL CHECK (kind IN ('employee', 'flexible')),
    status                 text        NOT NULL
        CHECK (status IN ('active', 'sealed', 'transferring', 'closed')),
    balance_fen            bigint      NOT NULL CHECK (balance_fen >= 0),
    -- The transfer that froze the account and the status to restore if it fails.
    transfer_id            text,
    status_before_transfer text
        CHECK (status_before_transfer IN ('active', 'sealed', 'transferring', 'closed')),
    opened_at              timestamptz NOT NULL
);

-- One account per person in this city at a time. A closed account (its balance sent to
-- the other city) stays as a record, and the person may later open a new one here.
CREATE UNIQUE INDEX account_one_open_per_person ON account (person_ref)
    WHERE status <> 'closed';

-- One deposit per account and month, whichever city it was made in: the primary key
-- backs the domain's duplicate-month rule even against concurrent writers.
CREATE TABLE deposit (
    account_id     text        NOT NULL REFERENCES account (account_id),
    month          text        NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    amount_fen     bigint      NOT NULL CHECK (amount_fen > 0),
    city_of_origin text        NOT NULL CHECK (city_of_origin IN ('cq', 'cd')),
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (account_id, month)
);
