-- Withdrawals (提取) from this city's accounts, loans granted here or reported by the other
-- city, and the loan queries between the cities (互查). Amounts in integer fen.

-- The withdrawal being decided holds its account: no transfer may freeze it meanwhile.
ALTER TABLE account ADD COLUMN withdrawal_id text;

-- One row per withdrawal applied for here. application: the kind's particulars (proof
-- kinds and references, the purchase, the confirmed loan) as JSON; rules: every rule of
-- the decision with its figures, as the clerk saw them. No personal data in either.
CREATE TABLE withdrawal (
    withdrawal_id   text        PRIMARY KEY,
    account_id      text        NOT NULL REFERENCES account (account_id),
    person_ref      text        NOT NULL,
    city            text        NOT NULL CHECK (city IN ('cq', 'cd')),
    kind            text        NOT NULL
        CHECK (kind IN ('rent', 'purchase', 'loan-repayment', 'retirement', 'serious-illness')),
    amount_fen      bigint      NOT NULL CHECK (amount_fen >= 0),
    state           text        NOT NULL CHECK (state IN ('applied', 'paid', 'refused')),
    applied_on      date        NOT NULL,
    applied_at      timestamptz NOT NULL,
    application     jsonb       NOT NULL,
    rules           jsonb       NOT NULL,
    history         jsonb       NOT NULL,
    reason_code     text,
    reason          text,
    -- Who did each step (the clerk's subject) and in which request.
    applied_by      text,
    applied_request text,
    decided_at      timestamptz,
    decided_by      text,
    decided_request text
);
CREATE INDEX withdrawal_by_person ON withdrawal (person_ref, applied_at);
-- The domain's hold, backed against concurrent writers: one undecided withdrawal per account.
CREATE UNIQUE INDEX withdrawal_one_applied_per_account ON withdrawal (account_id)
    WHERE state = 'applied';

-- Withdrawals the other city paid, as its events report them (its balance after each is
-- kept in reported_account by version, as for deposits).
CREATE TABLE reported_withdrawal (
    withdrawal_id text   PRIMARY KEY,
    account_id    text   NOT NULL,
    person_ref    text   NOT NULL,
    city          text   NOT NULL CHECK (city IN ('cq', 'cd')),
    kind          text   NOT NULL,
    month         text   NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    amount_fen    bigint NOT NULL CHECK (amount_fen > 0)
);
CREATE INDEX reported_withdrawal_by_person ON reported_withdrawal (person_ref);

-- Loans granted here (city = this city) and the other city's as its events report them.
CREATE TABLE loan (
    loan_id                text        PRIMARY KEY,
    person_ref             text        NOT NULL,
    city                   text        NOT NULL CHECK (city IN ('cq', 'cd')),
    amount_fen             bigint      NOT NULL CHECK (amount_fen > 0),
    term_months            integer     NOT NULL CHECK (term_months >= 1),
    annual_rate_bp         integer     NOT NULL CHECK (annual_rate_bp >= 0),
    monthly_instalment_fen bigint      NOT NULL CHECK (monthly_instalment_fen >= 0),
    bank                   text        NOT NULL,
    start_month            text        NOT NULL CHECK (start_month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    recorded_at            timestamptz NOT NULL,
    granted_by             text,
    granted_request        text
);
CREATE INDEX loan_by_person ON loan (person_ref);

-- Loan queries this city asked (asking_city = this city) or was asked, and the answers.
CREATE TABLE loan_query (
    query_id    text        PRIMARY KEY,
    person_ref  text        NOT NULL,
    asking_city text        NOT NULL CHECK (asking_city IN ('cq', 'cd')),
    asked_city  text        NOT NULL CHECK (asked_city IN ('cq', 'cd')),
    purpose     text        NOT NULL,
    asked_at    timestamptz NOT NULL,
    answer_by   timestamptz NOT NULL,
    asked_by    text,
    answered_at timestamptz,
    -- The answer's loan statements, as signed by the asked city.
    loans       jsonb
);
CREATE INDEX loan_query_by_person ON loan_query (person_ref, asked_at);
