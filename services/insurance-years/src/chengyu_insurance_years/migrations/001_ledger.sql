-- The cross-city ledger: every city's instance keeps the contribution periods of both
-- cities (互认、累计计算). Months are 'YYYY-MM' text, so text order is time order. A person is
-- only their person_ref: the resident ID number is never stored.

-- The current (highest known) version of each period, tombstones (cancelled) included, so
-- an older version arriving late cannot revive a cancelled period. The ledger query reads
-- this table only.
CREATE TABLE contribution_period (
    period_id   text        PRIMARY KEY,
    person_ref  text        NOT NULL,
    city        text        NOT NULL CHECK (city IN ('cq', 'cd')),
    start_month text        NOT NULL CHECK (start_month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    end_month   text        NOT NULL CHECK (end_month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    kind        text        NOT NULL CHECK (kind IN ('actual', 'deemed')),
    version     integer     NOT NULL CHECK (version >= 1),
    cancelled   boolean     NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (end_month >= start_month)
);
CREATE INDEX contribution_period_by_person ON contribution_period (person_ref);

-- Every version this city has seen of every period, in the order it saw them: a
-- correction is a new version, never an edit, and a clerk can read a period's history.
CREATE TABLE contribution_period_version (
    period_id   text        NOT NULL,
    version     integer     NOT NULL CHECK (version >= 1),
    person_ref  text        NOT NULL,
    city        text        NOT NULL CHECK (city IN ('cq', 'cd')),
    start_month text        NOT NULL CHECK (start_month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    end_month   text        NOT NULL CHECK (end_month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    kind        text        NOT NULL CHECK (kind IN ('actual', 'deemed')),
    cancelled   boolean     NOT NULL,
    received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (period_id, version)
);
