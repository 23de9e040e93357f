-- hookgate schema: dead letters by hand, replays, and what attempts sent.
-- The same changes as the SQLite engine's schema_admin.sql.

-- Deliveries may be 'discarded': given up by hand, kept for the record.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check
	CHECK (state IN ('pending', 'succeeded', 'dead', 'discarded'));

-- A delivery retried by hand gets a fresh budget: the retry policy counts
-- attempts - attempt_base, and max_age from retried_at (0: never retried,
-- count from created_at).
ALTER TABLE deliveries
	ADD COLUMN attempt_base integer NOT NULL DEFAULT 0,
	ADD COLUMN retried_at   bigint  NOT NULL DEFAULT 0;

-- A replay adds a delivery to a destination the event already has one to.
DROP INDEX deliveries_event;
CREATE INDEX deliveries_event ON deliveries (event_id, destination);

-- Dead letters are listed and retried by id.
CREATE INDEX deliveries_dead ON deliveries (id) WHERE state = 'dead';

-- What each attempt sent and got back, secrets redacted: headers are JSON
-- objects (canonical key -> [values]), '' when unknown.
ALTER TABLE attempts
	ADD COLUMN request_method   text NOT NULL DEFAULT '',
	ADD COLUMN request_url      text NOT NULL DEFAULT '',
	ADD COLUMN request_headers  text NOT NULL DEFAULT '',
	ADD COLUMN response_headers text NOT NULL DEFAULT '';
