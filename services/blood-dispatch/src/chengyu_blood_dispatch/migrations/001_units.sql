-- The units of this city's blood centre and where each is (stock area), and the other
-- city's units as its BloodUnitMoved events show them. No personal data: a unit is its
-- DIN (ISBT 128), product, ABO/RhD group and times.

-- blood_unit: every unit this centre recorded (collected here or received on a shipment),
-- in its state now. ``sequence`` counts the movements recorded here (BloodUnitMoved).
CREATE TABLE blood_unit (
    din             text PRIMARY KEY CHECK (din ~ '^[A-Z][0-9]{4}[0-9]{2}[0-9]{6}$'),
    product         text NOT NULL
                    CHECK (product IN ('whole-blood', 'red-cells', 'platelets', 'plasma', 'cryo')),
    abo             text NOT NULL CHECK (abo IN ('O', 'A', 'B', 'AB')),
    rhd             text NOT NULL CHECK (rhd IN ('pos', 'neg')),
    collected_at    timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL CHECK (expires_at > collected_at),
    -- The city whose centre collected it (the other city's for a unit received).
    collected_in    text NOT NULL CHECK (collected_in IN ('cq', 'cd')),
    state           text NOT NULL CHECK (state IN ('available', 'reserved', 'quarantined',
                                                   'in-transit', 'issued', 'expired', 'discarded')),
    -- The offer a reserved unit is held for; the shipment and destination in transit.
    reserved_for    text CHECK ((state = 'reserved') = (reserved_for IS NOT NULL)),
    shipment_id     text CHECK (state <> 'in-transit' OR shipment_id IS NOT NULL),
    to_city         text CHECK (to_city IN ('cq', 'cd')),
    sequence        integer NOT NULL CHECK (sequence >= 1),
    updated_at      timestamptz NOT NULL,
    updated_by      text
);

-- A line's usable units and a state's units (the level computation, GET /stock).
CREATE INDEX blood_unit_line_state ON blood_unit (product, abo, rhd, state, expires_at);
-- The expiry sweep: units in stock by expiry.
CREATE INDEX blood_unit_in_stock_expiry ON blood_unit (expires_at)
    WHERE state IN ('available', 'reserved', 'quarantined');

-- unit_movement: every movement recorded here, one row per (DIN, sequence). Issues to
-- hospitals are counted from it for the levels' trailing window (line kept on the row so
-- the count needs no join).
CREATE TABLE unit_movement (
    din             text NOT NULL REFERENCES blood_unit (din),
    sequence        integer NOT NULL CHECK (sequence >= 1),
    movement        text NOT NULL CHECK (movement IN ('collected', 'issued', 'expired',
                                        'discarded', 'reserved', 'reservation-released',
                                        'dispatched', 'received')),
    state           text NOT NULL,
    product         text NOT NULL,
    abo             text NOT NULL,
    rhd             text NOT NULL,
    at              timestamptz NOT NULL,
    by              text,
    request_id      text,
    -- A clerk's note (the hospital issued to, why discarded): no personal data.
    note            text,
    PRIMARY KEY (din, sequence)
);

CREATE INDEX unit_movement_issues ON unit_movement (product, abo, rhd, at)
    WHERE movement = 'issued';

-- unit_seen: the other city's units as its BloodUnitMoved events show them (the highest
-- sequence per DIN and city).
CREATE TABLE unit_seen (
    din             text NOT NULL,
    city            text NOT NULL CHECK (city IN ('cq', 'cd')),
    sequence        integer NOT NULL CHECK (sequence >= 1),
    movement        text NOT NULL,
    state           text NOT NULL,
    product         text NOT NULL,
    abo             text NOT NULL,
    rhd             text NOT NULL,
    collected_at    timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    moved_at        timestamptz NOT NULL,
    shipment_id     text,
    PRIMARY KEY (din, city)
);

CREATE INDEX unit_seen_line_state ON unit_seen (city, product, abo, rhd, state);

-- unit_conflict: a DIN both centres hold in stock, as each city flagged it (this city's
-- own flag and the other city's, from BloodUnitConflictFlagged). Never merged or cleared
-- by the service: the centres resolve it.
CREATE TABLE unit_conflict (
    din             text NOT NULL,
    city            text NOT NULL CHECK (city IN ('cq', 'cd')),
    flagged_at      timestamptz NOT NULL,
    PRIMARY KEY (din, city)
);
