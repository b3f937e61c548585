-- The elder-care institution map (养老服务地图) of both cities: public data.
-- institution: the latest version of every institution this city knows, its own (written
-- by its clerks) and the other city's (from care-institution-published events, keeping
-- the highest version). Coordinates are WGS 84 in millionths of a degree, as the event
-- carries them.
CREATE TABLE institution (
    institution_id  text PRIMARY KEY,
    city            text NOT NULL CHECK (city IN ('cq', 'cd')),
    version         integer NOT NULL CHECK (version >= 1),
    name            text NOT NULL,
    district        text NOT NULL CHECK (district ~ '^[0-9]{6}$'),
    address         text NOT NULL,
    latitude_e6     integer NOT NULL CHECK (latitude_e6 BETWEEN -90000000 AND 90000000),
    longitude_e6    integer NOT NULL CHECK (longitude_e6 BETWEEN -180000000 AND 180000000),
    grade           smallint CHECK (grade BETWEEN 1 AND 5),
    beds            integer NOT NULL CHECK (beds >= 0),
    nursing_beds    integer NOT NULL CHECK (nursing_beds BETWEEN 0 AND beds),
    vacancies       integer NOT NULL CHECK (vacancies BETWEEN 0 AND beds),
    phone           text NOT NULL,
    closed          boolean NOT NULL,
    updated_on      date NOT NULL,
    CHECK (institution_id LIKE city || '-%')
);

-- The map query: open institutions by latitude (the distance pre-filter's box) and by
-- city and district.
CREATE INDEX institution_open_latitude ON institution (latitude_e6) WHERE NOT closed;
CREATE INDEX institution_open_district ON institution (city, district) WHERE NOT closed;

-- Every version this city's clerks saved of its own institutions, and who saved it.
CREATE TABLE institution_version (
    institution_id  text NOT NULL,
    version         integer NOT NULL CHECK (version >= 1),
    name            text NOT NULL,
    district        text NOT NULL,
    address         text NOT NULL,
    latitude_e6     integer NOT NULL,
    longitude_e6    integer NOT NULL,
    grade           smallint,
    beds            integer NOT NULL,
    nursing_beds    integer NOT NULL,
    vacancies       integer NOT NULL,
    phone           text NOT NULL,
    closed          boolean NOT NULL,
    updated_on      date NOT NULL,
    recorded_at     timestamptz NOT NULL,
    recorded_by     text,
    request_id      text,
    PRIMARY KEY (institution_id, version)
);
