-- Seekers: who this city's seekers are (kept here only) and the other city's withdrawals.
--
-- seeker_identity: the personal data of this city's registered seekers, one row per person
-- (person_ref of the ID number, never the number itself), their name and phone. Never
-- published, never logged, shown to this city's clerks masked only. The matching profile
-- and its version are the seeker's seeker_profile row (city = this city).
CREATE TABLE seeker_identity (
    seeker_ref     text PRIMARY KEY
                   REFERENCES seeker_profile (seeker_ref) DEFERRABLE INITIALLY DEFERRED,
    person_ref     text NOT NULL UNIQUE,
    name           text NOT NULL,
    phone          text NOT NULL,
    registered_at  timestamptz NOT NULL,
    registered_by  text,
    updated_at     timestamptz NOT NULL,
    updated_by     text
);

-- seeker_withdrawn: the other city's seekers whose consent was withdrawn, at the highest
-- withdrawn version read (their seeker_profile row is deleted at once). A profile of a
-- version up to this one, redelivered or replayed later, is not kept again; consent given
-- again is a higher version and is.
CREATE TABLE seeker_withdrawn (
    seeker_ref    text PRIMARY KEY,
    city          text NOT NULL CHECK (city IN ('cq', 'cd')),
    version       integer NOT NULL CHECK (version >= 1),
    withdrawn_at  timestamptz NOT NULL
);

-- The clerks' lists: by city and key group.
CREATE INDEX seeker_profile_city ON seeker_profile (city, seeker_ref) WHERE active;
CREATE INDEX seeker_profile_groups ON seeker_profile USING gin (groups) WHERE active;
