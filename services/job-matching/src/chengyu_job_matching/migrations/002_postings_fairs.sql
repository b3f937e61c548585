-- The postings area: what 001's posting table needs besides, and joint recruitment fairs.
--
-- posting.published_at is when the row's version was published (or closed), as its event
-- says, so both cities hold the same value.
CREATE INDEX posting_expiry ON posting (closing_on) WHERE state = 'open';
CREATE INDEX posting_listing ON posting (published_at DESC, posting_id);

-- The other city's closing of a posting read before any version of the posting itself (the
-- log keeps one key's order, but a replay or a re-drive may not): kept until the posting
-- arrives, which is then stored closed when its version is older than the closing.
CREATE TABLE posting_close_seen (
    posting_id   text PRIMARY KEY,
    city         text NOT NULL CHECK (city IN ('cq', 'cd')),
    version      integer NOT NULL CHECK (version >= 1),
    reason       text NOT NULL CHECK (reason IN ('filled', 'withdrawn', 'expired')),
    closed_at    timestamptz NOT NULL
);

-- job_fair: every fair of both cities at its highest version seen (this city's written by
-- its clerks, the other city's from hr.fair). Public information. posting_ids: postings of
-- both cities, in the organiser's order.
CREATE TABLE job_fair (
    fair_id        text PRIMARY KEY,
    city           text NOT NULL CHECK (city IN ('cq', 'cd')),
    version        integer NOT NULL CHECK (version >= 1),
    state          text NOT NULL CHECK (state IN ('scheduled', 'cancelled')),
    title          text NOT NULL,
    venue          text NOT NULL,
    starts_on      date NOT NULL,
    ends_on        date NOT NULL,
    posting_ids    text[] NOT NULL,
    cancel_reason  text,
    at             timestamptz NOT NULL,
    CHECK (ends_on >= starts_on),
    CHECK ((state = 'cancelled') = (cancel_reason IS NOT NULL))
);
CREATE INDEX job_fair_dates ON job_fair (starts_on, fair_id);

-- The other city's cancellation of a fair read before the fair itself (as for postings).
CREATE TABLE job_fair_cancel_seen (
    fair_id       text PRIMARY KEY,
    city          text NOT NULL CHECK (city IN ('cq', 'cd')),
    version       integer NOT NULL CHECK (version >= 1),
    reason        text NOT NULL,
    cancelled_at  timestamptz NOT NULL
);
