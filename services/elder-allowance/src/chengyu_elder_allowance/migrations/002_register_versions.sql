-- Where a moved-out household went (the city named by a moved-out registration version).
ALTER TABLE household ADD COLUMN moved_to text CHECK (moved_to IN ('cq', 'cd'));

-- Every registration version this city wrote or received, for the clerks' record: who
-- changed this city's registration, in which request, and why a registration was
-- withdrawn. ``household`` keeps only the latest version of each (person_ref, city).
CREATE TABLE household_version (
    person_ref        text NOT NULL,
    city              text NOT NULL CHECK (city IN ('cq', 'cd')),
    version           integer NOT NULL CHECK (version >= 1),
    status            text NOT NULL CHECK (status IN ('registered', 'moved-out', 'deceased', 'withdrawn')),
    registered_from   date CHECK (extract(day FROM registered_from) = 1),
    registered_until  date CHECK (extract(day FROM registered_until) = 1),
    moved_to          text CHECK (moved_to IN ('cq', 'cd')),
    changed_on        date NOT NULL,
    -- a withdrawal's reason, as this city's clerk gave it (never sent on the bus)
    reason            text,
    recorded_at       timestamptz NOT NULL,
    recorded_by       text,
    request_id        text,
    PRIMARY KEY (person_ref, city, version)
);

-- The open duplicates, for the clerks' list.
CREATE INDEX duplicate_flag_open ON duplicate_flag (flagged_on, person_ref) WHERE cleared_on IS NULL;
