-- Long-term-care assessments (this city's own and the other city's, as published) and the
-- recognition decisions about them (made here about the other city's, or reported by the
-- other city about ours).
CREATE TABLE care_assessment (
    assessment_id text        PRIMARY KEY,
    person_ref    text        NOT NULL,
    city          text        NOT NULL CHECK (city IN ('cq', 'cd')),
    level         text        NOT NULL CHECK (level IN ('severe', 'moderate', 'mild')),
    scale_version text        NOT NULL,
    concluded_on  date        NOT NULL,
    valid_until   date        NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (valid_until >= concluded_on)
);
CREATE INDEX care_assessment_by_person ON care_assessment (person_ref);

-- One decision per assessment: only the city that did not assess it decides.
CREATE TABLE care_recognition (
    assessment_id         text        PRIMARY KEY REFERENCES care_assessment (assessment_id),
    recognising_city      text        NOT NULL CHECK (recognising_city IN ('cq', 'cd')),
    recognised            boolean     NOT NULL,
    decided_on            date        NOT NULL,
    code                  text,
    reason                text,
    valid_until           date,
    policy_effective_from date,
    recorded_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (recognised = (code IS NULL))
);
