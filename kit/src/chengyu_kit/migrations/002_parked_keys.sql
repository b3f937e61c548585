-- Keys with events parked in a dead-letter topic, per consumer: later events of such a
-- key are parked behind them, so that per-key order holds across dead-lettering.
CREATE TABLE parked_key (
    consumer  text    NOT NULL,
    topic     text    NOT NULL,
    key       bytea   NOT NULL,
    parked    integer NOT NULL CHECK (parked > 0),
    PRIMARY KEY (consumer, topic, key)
);
