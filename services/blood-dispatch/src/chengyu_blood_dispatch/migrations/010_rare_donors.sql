-- The joint rare-blood registry (特殊稀有血型库).
--
-- rare_donor: this city's donors. donor_ref is the person_ref of the donor's resident ID
-- number (the number itself is never stored); the name and phone are kept here only, for
-- this city's centre to contact the donor, and never leave it. Each change is a new version.
CREATE TABLE rare_donor (
    donor_ref           text PRIMARY KEY,
    name                text NOT NULL,
    phone               text NOT NULL,
    abo                 text NOT NULL CHECK (abo IN ('O', 'A', 'B', 'AB')),
    rhd                 text NOT NULL CHECK (rhd IN ('pos', 'neg')),
    -- Rare phenotypes of the policy's list (RhD negative is the rhd column).
    phenotypes          text[] NOT NULL,
    consent             text NOT NULL CHECK (consent IN ('given', 'withdrawn')),
    last_donation_on    date,
    last_donation_kind  text NOT NULL CHECK (last_donation_kind IN ('whole-blood', 'apheresis')),
    version             integer NOT NULL CHECK (version >= 1),
    updated_at          timestamptz NOT NULL,
    updated_by          text
);

-- donor_seen: the other city's donors as its events describe them (pseudonymous: no name,
-- phone or ID number), at the highest version seen. A consent withdrawal keeps only the
-- reference and the version (a withdrawal read before any registration leaves the group
-- unknown) and takes the donor out of every search at once.
CREATE TABLE donor_seen (
    donor_ref           text PRIMARY KEY,
    city                text NOT NULL CHECK (city IN ('cq', 'cd')),
    version             integer NOT NULL CHECK (version >= 1),
    consent             text NOT NULL CHECK (consent IN ('given', 'withdrawn')),
    abo                 text CHECK (abo IN ('O', 'A', 'B', 'AB')),
    rhd                 text CHECK (rhd IN ('pos', 'neg')),
    phenotypes          text[],
    last_donation_on    date,
    -- As the donor's city computed it; NULL when no donation is recorded (available now).
    available_on        date,
    seen_at             timestamptz NOT NULL,
    CHECK (consent = 'withdrawn' OR (abo IS NOT NULL AND rhd IS NOT NULL AND phenotypes IS NOT NULL))
);

-- rare_recall: recalls this city asked for, and recalls of this city's donors that the
-- other city asked for; the donor's city answers once.
CREATE TABLE rare_recall (
    recall_id           text PRIMARY KEY,
    donor_ref           text NOT NULL,
    donor_city          text NOT NULL CHECK (donor_city IN ('cq', 'cd')),
    requesting_city     text NOT NULL CHECK (requesting_city IN ('cq', 'cd')),
    urgency             text NOT NULL CHECK (urgency IN ('urgent', 'routine')),
    needed_by           date NOT NULL,
    state               text NOT NULL
        CHECK (state IN ('requested', 'will-donate', 'declined', 'unreachable')),
    reason_code         text,
    requested_at        timestamptz NOT NULL,
    requested_by        text,
    answered_at         timestamptz,
    answered_by         text,
    CHECK ((state = 'requested') = (answered_at IS NULL))
);
CREATE INDEX rare_recall_by_state ON rare_recall (state, requested_at);
CREATE INDEX rare_recall_by_donor ON rare_recall (donor_ref);
