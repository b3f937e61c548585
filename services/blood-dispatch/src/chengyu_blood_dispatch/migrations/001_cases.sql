-- Cases opened in this city, and the other city's cases as its events reported them.
CREATE TABLE blood_case (
    case_id    text        PRIMARY KEY,
    person_ref text        NOT NULL,
    city       text        NOT NULL CHECK (city IN ('cq', 'cd')),
    opened_at  timestamptz NOT NULL
);

CREATE INDEX blood_case_person ON blood_case (person_ref);
