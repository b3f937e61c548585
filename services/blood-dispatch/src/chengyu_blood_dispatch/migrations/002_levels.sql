-- Stock levels (stock_levels area): the level this city shows per line with its
-- hysteresis (levels.next_level), and the other city's levels from its events.

-- level_state: per (product, abo, rhd), the shown level since when, the better level
-- waiting to be shown and since when, the last computation's figures, and the stock-low
-- requests this line made (``low_count`` numbers them; ``low_request_id`` the current one
-- while the line is orange or red).
CREATE TABLE level_state (
    product         text NOT NULL
                    CHECK (product IN ('whole-blood', 'red-cells', 'platelets', 'plasma', 'cryo')),
    abo             text NOT NULL CHECK (abo IN ('O', 'A', 'B', 'AB')),
    rhd             text NOT NULL CHECK (rhd IN ('pos', 'neg')),
    level           text NOT NULL CHECK (level IN ('green', 'yellow', 'orange', 'red')),
    since           timestamptz NOT NULL,
    candidate       text CHECK (candidate IN ('green', 'yellow', 'orange', 'red')),
    better_since    timestamptz CHECK ((candidate IS NULL) = (better_since IS NULL)),
    computed_level  text NOT NULL CHECK (computed_level IN ('green', 'yellow', 'orange', 'red')),
    usable_units    integer NOT NULL CHECK (usable_units >= 0),
    issues_in_window integer NOT NULL CHECK (issues_in_window >= 0),
    days_of_supply_centi integer CHECK (days_of_supply_centi >= 0),
    units_needed    integer NOT NULL CHECK (units_needed >= 0),
    low_count       integer NOT NULL DEFAULT 0 CHECK (low_count >= 0),
    low_request_id  text,
    computed_at     timestamptz NOT NULL,
    PRIMARY KEY (product, abo, rhd)
);

-- level_seen: the other city's shown level per line, from its BloodStockLevelChanged /
-- BloodStockLow / BloodStockRecovered events (the latest by the event's instant).
CREATE TABLE level_seen (
    city            text NOT NULL CHECK (city IN ('cq', 'cd')),
    product         text NOT NULL,
    abo             text NOT NULL,
    rhd             text NOT NULL,
    level           text NOT NULL CHECK (level IN ('green', 'yellow', 'orange', 'red')),
    usable_units    integer,
    days_of_supply_centi integer,
    low_request_id  text,
    at              timestamptz NOT NULL,
    PRIMARY KEY (city, product, abo, rhd)
);
