-- Outbox: records a service must publish, written in the same transaction as the
-- state change that caused them. The relay publishes them in id order.
CREATE TABLE outbox (
    id             bigserial   PRIMARY KEY,
    topic          text        NOT NULL,
    key            bytea,
    value          bytea       NOT NULL,
    header_names   text[]      NOT NULL DEFAULT '{}',
    header_values  bytea[]     NOT NULL DEFAULT '{}',
    event_id       text,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at   timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- Inbox: every event a consumer has dealt with, written in the same transaction as
-- its effect, so that a redelivered or replayed event changes nothing.
CREATE TABLE inbox (
    consumer      text        NOT NULL,
    event_id      text        NOT NULL,
    event_type    text,
    topic         text        NOT NULL,
    kafka_partition integer   NOT NULL,
    kafka_offset  bigint      NOT NULL,
    outcome       text        NOT NULL CHECK (outcome IN ('applied', 'dead-lettered')),
    reason        text,
    processed_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (consumer, event_id)
);
