-- Answers of HTTP writes that carried an Idempotency-Key, committed in the same transaction
-- as the write itself: a retry with the same key gets this answer and writes nothing.
-- `scope` separates callers (empty until clerks are authenticated; then their subject).
CREATE TABLE idempotency_key (
    scope            text        NOT NULL,
    idempotency_key  text        NOT NULL,
    fingerprint      text        NOT NULL,
    method           text        NOT NULL,
    path             text        NOT NULL,
    status           integer     NOT NULL,
    media_type       text,
    body             bytea       NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (scope, idempotency_key)
);

CREATE INDEX idempotency_key_created_at ON idempotency_key (created_at);
