-- The dispatch saga (dispatch_saga area): every request this city takes part in (as the
-- requesting or the supplying city), its offers, its shipments and the escalations raised.
-- The rows hold the pure dispatch.DispatchRequest so that dispatch.apply replays from them;
-- ``version`` counts the steps applied to a request (a redelivered step changes nothing).

CREATE TABLE dispatch_request (
    request_id          text PRIMARY KEY,
    requesting_city     text NOT NULL CHECK (requesting_city IN ('cq', 'cd')),
    offering_city       text NOT NULL CHECK (offering_city IN ('cq', 'cd')
                        AND offering_city <> requesting_city),
    origin              text NOT NULL CHECK (origin IN ('clerk', 'stock-low')),
    product             text NOT NULL
                        CHECK (product IN ('whole-blood', 'red-cells', 'platelets', 'plasma', 'cryo')),
    abo                 text NOT NULL CHECK (abo IN ('O', 'A', 'B', 'AB')),
    rhd                 text NOT NULL CHECK (rhd IN ('pos', 'neg')),
    quantity            integer NOT NULL CHECK (quantity >= 1),
    urgency             text NOT NULL CHECK (urgency IN ('urgent', 'routine')),
    accepts_substitutes boolean NOT NULL,
    state               text NOT NULL
                        CHECK (state IN ('requested', 'offered', 'closed', 'cancelled')),
    requested_at        timestamptz NOT NULL,
    offer_deadline      timestamptz NOT NULL,
    reason              text,
    version             integer NOT NULL CHECK (version >= 1),
    updated_at          timestamptz NOT NULL
);
CREATE INDEX dispatch_request_state ON dispatch_request (state, requested_at);

-- dispatch_offer: one offer of the supplying city; ``units`` the offered units (din,
-- product, abo, rhd, expires_at), ``dispatched`` the DINs shipped, ``receipts`` each
-- shipped unit's state on arrival.
CREATE TABLE dispatch_offer (
    offer_id        text PRIMARY KEY,
    request_id      text NOT NULL REFERENCES dispatch_request (request_id),
    position        integer NOT NULL CHECK (position >= 1),
    state           text NOT NULL CHECK (state IN
                    ('offered', 'accepted', 'declined', 'dispatched', 'received', 'cancelled')),
    units           jsonb NOT NULL,
    offered_at      timestamptz NOT NULL,
    deadline        timestamptz,
    shipment_id     text,
    logger_id       text,
    departed_at     timestamptz,
    dispatched      jsonb NOT NULL DEFAULT '[]',
    receipts        jsonb NOT NULL DEFAULT '[]',
    UNIQUE (request_id, position)
);

-- dispatch_shipment: a shipment between the centres, unit by unit (``units`` the DINs),
-- its temperature logger, departure and, once received, the logger's extremes (tenths of
-- a degree) and the verdict.
CREATE TABLE dispatch_shipment (
    shipment_id     text PRIMARY KEY,
    request_id      text NOT NULL REFERENCES dispatch_request (request_id),
    offer_id        text NOT NULL REFERENCES dispatch_offer (offer_id),
    from_city       text NOT NULL CHECK (from_city IN ('cq', 'cd')),
    to_city         text NOT NULL CHECK (to_city IN ('cq', 'cd') AND to_city <> from_city),
    units           jsonb NOT NULL,
    logger_id       text NOT NULL,
    departed_at     timestamptz NOT NULL,
    receive_by      timestamptz NOT NULL,
    state           text NOT NULL CHECK (state IN ('in-transit', 'received')),
    received_at     timestamptz,
    coldest_c10     integer,
    warmest_c10     integer,
    temperature_in_range boolean,
    receipts        jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX dispatch_shipment_state ON dispatch_shipment (state, departed_at);

-- dispatch_escalation: a step whose deadline passed, raised once (offer_id '' for the
-- request's first offer).
CREATE TABLE dispatch_escalation (
    request_id      text NOT NULL REFERENCES dispatch_request (request_id),
    step            text NOT NULL CHECK (step IN ('offer', 'accept', 'dispatch', 'receive')),
    offer_id        text NOT NULL DEFAULT '',
    deadline        timestamptz NOT NULL,
    city            text NOT NULL CHECK (city IN ('cq', 'cd')),
    escalated_at    timestamptz NOT NULL,
    PRIMARY KEY (request_id, step, offer_id)
);
