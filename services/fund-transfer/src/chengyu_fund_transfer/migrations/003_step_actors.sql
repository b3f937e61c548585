-- Who took each step and in which request: this city's clerk (<city>/<agency>/<subject>),
-- the other city's office as its event names it (<city>/<agency>/c<opaque>), or nobody
-- (NULL) when the service stepped on its own. Steps from before this migration stay NULL.
ALTER TABLE transfer_step ADD COLUMN acted_by text, ADD COLUMN request_id text;
