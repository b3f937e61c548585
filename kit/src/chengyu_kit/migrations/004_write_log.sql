-- Every committed HTTP write of this service: who (the token's subject, agency and city),
-- when, and which request, in the write's own transaction. The clerk's subject stays in
-- this city's database; events carry only a non-personal reference to the office.
CREATE TABLE write_log (
    id             bigserial   PRIMARY KEY,
    request_id     text        NOT NULL,
    method         text        NOT NULL,
    path           text        NOT NULL,
    status         integer     NOT NULL,
    actor_kind     text,
    actor_subject  text,
    actor_agency   text,
    actor_city     text,
    at             timestamptz NOT NULL
);

CREATE INDEX write_log_request ON write_log (request_id);
CREATE INDEX write_log_subject ON write_log (actor_subject, at);
