-- Who recorded each version of a period and in which request: this city's clerk
-- (<city>/<agency>/<subject>), the other city's office as its event names it
-- (<city>/<agency>/c<opaque>). Versions received before this migration stay NULL.
ALTER TABLE contribution_period_version ADD COLUMN recorded_by text, ADD COLUMN request_id text;
