-- Capability assessments (老年人能力评估, GB/T 42195-2022): this city's own, and the other
-- city's as published (recognised: kept without a new assessment). The findings behind
-- the adjustments (coma, diagnosis, care-risk events) are kept only by the assessing city.
CREATE TABLE capability_assessment (
    assessment_id          text PRIMARY KEY,
    person_ref             text NOT NULL,
    city                   text NOT NULL CHECK (city IN ('cq', 'cd')),
    assessed_on            date NOT NULL,
    reason                 text NOT NULL
        CHECK (reason IN ('first', 'routine', 'immediate', 're-assessment')),
    self_care              integer NOT NULL CHECK (self_care BETWEEN 0 AND 32),
    basic_mobility         integer NOT NULL CHECK (basic_mobility BETWEEN 0 AND 15),
    mental_state           integer NOT NULL CHECK (mental_state BETWEEN 0 AND 28),
    perception_and_social  integer NOT NULL CHECK (perception_and_social BETWEEN 0 AND 15),
    total                  integer NOT NULL
        CHECK (total = self_care + basic_mobility + mental_state + perception_and_social),
    base_level             integer NOT NULL CHECK (base_level BETWEEN 0 AND 4),
    level                  integer NOT NULL CHECK (level BETWEEN base_level AND 4),
    adjustments            text[] NOT NULL,
    valid_until            date NOT NULL CHECK (valid_until >= assessed_on),
    -- Assessed in the other city and recognised here.
    recognised             boolean NOT NULL,
    coma                   boolean,
    dementia_or_mental_disorder boolean,
    care_risk_events_30d   integer CHECK (care_risk_events_30d >= 0),
    recorded_at            timestamptz NOT NULL,
    recorded_by            text,
    request_id             text,
    CHECK (recognised = (care_risk_events_30d IS NULL))
);
CREATE INDEX capability_assessment_by_person ON capability_assessment (person_ref, assessed_on);
