-- Postings and matching profiles: the two tables matching reads (both cities' rows).
--
-- posting: every posting of both cities at its highest version seen (this city's written by
-- its clerks, the other city's from hr.posting). Public information. education is the rank
-- on the scale of education.py (1 初中 .. 6 博士); both salary bounds NULL for 面议.
CREATE TABLE posting (
    posting_id        text PRIMARY KEY,
    city              text NOT NULL CHECK (city IN ('cq', 'cd')),
    version           integer NOT NULL CHECK (version >= 1),
    state             text NOT NULL CHECK (state IN ('open', 'closed')),
    closed_reason     text CHECK (closed_reason IN ('filled', 'withdrawn', 'expired')),
    employer_name     text NOT NULL,
    title             text NOT NULL,
    description       text NOT NULL,
    occupation_code   text NOT NULL,
    education         smallint NOT NULL CHECK (education BETWEEN 1 AND 6),
    skills            text[] NOT NULL,
    salary_min_yuan   integer,
    salary_max_yuan   integer,
    district          text NOT NULL,
    lat_e6            integer NOT NULL,
    lon_e6            integer NOT NULL,
    openings          integer NOT NULL CHECK (openings >= 1),
    closing_on        date NOT NULL,
    published_at      timestamptz NOT NULL,
    -- Segmented words of title and description (text_terms.py), for text relevance.
    terms             text[] NOT NULL,
    updated_at        timestamptz NOT NULL,
    CHECK ((salary_min_yuan IS NULL) = (salary_max_yuan IS NULL)),
    CHECK (salary_min_yuan IS NULL OR salary_min_yuan <= salary_max_yuan)
);
CREATE INDEX posting_open ON posting (education, city) WHERE state = 'open';
CREATE INDEX posting_occupation ON posting (occupation_code) WHERE state = 'open';

-- seeker_profile: the matching profile of every seeker matching may consider: this city's
-- registered seekers (shared = whether consent lets the other city see it) and the other
-- city's consenting seekers from hr.seeker. A withdrawal of consent deletes the other
-- city's row at once. Pseudonymous: seeker_ref is random, not a person_ref, so a profile
-- joins nothing of another domain; names, ID numbers and phones are in seeker_identity.
CREATE TABLE seeker_profile (
    seeker_ref          text PRIMARY KEY,
    city                text NOT NULL CHECK (city IN ('cq', 'cd')),
    version             integer NOT NULL CHECK (version >= 1),
    shared              boolean NOT NULL,
    active              boolean NOT NULL,
    groups              text[] NOT NULL,
    graduation_year     integer,
    occupation_codes    text[] NOT NULL,
    skills              text[] NOT NULL,
    interests           text[] NOT NULL,
    education           smallint NOT NULL CHECK (education BETWEEN 1 AND 6),
    desired_cities      text[] NOT NULL,
    desired_districts   text[] NOT NULL,
    home_district       text NOT NULL,
    salary_floor_yuan   integer,
    willing_to_move     boolean NOT NULL,
    commute_radius_km   integer NOT NULL CHECK (commute_radius_km >= 1),
    updated_at          timestamptz NOT NULL
);
CREATE INDEX seeker_profile_active ON seeker_profile (education) WHERE active;
