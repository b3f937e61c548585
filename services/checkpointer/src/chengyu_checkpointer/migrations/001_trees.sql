-- The checkpointer's own read of the event log (one city's instance, its own database).
--
-- log: one row per partition of a domain topic (a "log", named <topic>/<partition>): how
-- many records its tree has (size), the offset to read next, and when the last checkpoint
-- was published. Advanced in the same transaction as the leaves it adds and the checkpoint
-- it publishes, so a crash resumes exactly where the database says (never from Kafka's
-- committed offsets: this reader commits none).
CREATE TABLE log (
    topic               text NOT NULL,
    partition           integer NOT NULL CHECK (partition >= 0),
    size                bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
    next_offset         bigint NOT NULL DEFAULT 0 CHECK (next_offset >= 0),
    checkpointed_size   bigint NOT NULL DEFAULT 0 CHECK (checkpointed_size >= 0),
    checkpointed_at     timestamptz,
    PRIMARY KEY (topic, partition)
);

-- leaf: the RFC 9162 leaf hash of every record read, by its index in the log's tree, with
-- the record's offset. Kept so that the root at any earlier size can be recomputed: the
-- other city's checkpoints are witnessed at whatever size they were taken (32 bytes and a
-- few more per record; what a transparency log keeps to serve proofs).
CREATE TABLE leaf (
    topic       text NOT NULL,
    partition   integer NOT NULL,
    index       bigint NOT NULL CHECK (index >= 0),
    record_offset bigint NOT NULL CHECK (record_offset >= 0),
    hash        bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (topic, partition, index)
);

-- checkpoint: every checkpoint of the log this city's checkpointer signed and published,
-- and whether the other city witnessed it (witnessed_note: the note with both signatures)
-- or disputed it.
CREATE TABLE checkpoint (
    topic           text NOT NULL,
    partition       integer NOT NULL,
    size            bigint NOT NULL CHECK (size > 0),
    root_hash       bytea NOT NULL CHECK (length(root_hash) = 32),
    last_offset     bigint NOT NULL,
    note            text NOT NULL,
    published_at    timestamptz NOT NULL,
    witnessed_note  text,
    witnessed_at    timestamptz,
    PRIMARY KEY (topic, partition, size)
);

-- claim: a checkpoint the other city published that this city has not judged yet, because
-- its own read of the log has not reached that size. Judged and deleted as the read
-- catches up.
CREATE TABLE claim (
    topic           text NOT NULL,
    partition       integer NOT NULL,
    size            bigint NOT NULL CHECK (size >= 0),
    root_hash       bytea NOT NULL,
    origin          text NOT NULL,
    note            text NOT NULL,
    checkpointer_city text NOT NULL CHECK (checkpointer_city IN ('cq', 'cd')),
    published_at    timestamptz NOT NULL,
    PRIMARY KEY (topic, partition, size, checkpointer_city)
);

-- witnessed: the last checkpoint of each log and city this city judged (a later one must
-- extend it).
CREATE TABLE witnessed (
    topic           text NOT NULL,
    partition       integer NOT NULL,
    checkpointer_city text NOT NULL,
    size            bigint NOT NULL,
    root_hash       bytea NOT NULL,
    PRIMARY KEY (topic, partition, checkpointer_city)
);

-- dispute: every disagreement, raised here (this city could not confirm the other's
-- checkpoint) or received (the other city could not confirm this city's). Readiness stays
-- red while one is not acknowledged by a clerk of the audit office.
CREATE TABLE dispute (
    dispute_id      bigserial PRIMARY KEY,
    topic           text NOT NULL,
    partition       integer NOT NULL,
    size            bigint NOT NULL,
    checkpointer_city text NOT NULL,
    witness_city    text NOT NULL,
    reason          text NOT NULL,
    detail          text NOT NULL,
    raised_at       timestamptz NOT NULL,
    acknowledged_at timestamptz,
    acknowledged_by text,
    UNIQUE (topic, partition, size, checkpointer_city, witness_city)
);
