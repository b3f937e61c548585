-- The register of this city's household-registered elders (户籍), kept by its civil-affairs
-- bureau. Personal data (ID number, name, bank account token, phone) lives here and only
-- here: events and logs carry the person_ref.
CREATE TABLE elder (
    person_ref          text PRIMARY KEY,
    id_number           text NOT NULL UNIQUE,
    name                text NOT NULL,
    birth_date          date NOT NULL,
    sex                 text NOT NULL CHECK (sex IN ('male', 'female')),
    -- 6-digit code of the household district in this city (districts.py)
    district            text NOT NULL,
    bank_account_token  text NOT NULL,
    phone               text NOT NULL,
    died_on             date,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    updated_by          text,
    request_id          text
);

-- 低保 / 特困 status with its dates; the status holding on a month's first day sets the
-- month's amount.
CREATE TABLE assistance_period (
    person_ref  text NOT NULL REFERENCES elder (person_ref),
    status      text NOT NULL CHECK (status IN ('dibao', 'tekun')),
    start_on    date NOT NULL,
    end_on      date,
    PRIMARY KEY (person_ref, status, start_on),
    CHECK (end_on IS NULL OR end_on >= start_on)
);

-- Both cities' latest registration version of every person this city knows: its own
-- (written with the register) and the other city's (from registration-changed events).
-- The payer of a month is derived from these rows (households.py). Months are stored as
-- the first day of the month.
CREATE TABLE household (
    person_ref        text NOT NULL,
    city              text NOT NULL CHECK (city IN ('cq', 'cd')),
    version           integer NOT NULL CHECK (version >= 1),
    status            text NOT NULL CHECK (status IN ('registered', 'moved-out', 'deceased', 'withdrawn')),
    registered_from   date CHECK (extract(day FROM registered_from) = 1),
    registered_until  date CHECK (extract(day FROM registered_until) = 1),
    changed_on        date NOT NULL,
    PRIMARY KEY (person_ref, city)
);

-- Persons both registers claim (重复享受), paid by neither until a registration ends.
CREATE TABLE duplicate_flag (
    person_ref   text PRIMARY KEY,
    first_month  date NOT NULL,
    flagged_on   date NOT NULL,
    cleared_on   date
);
