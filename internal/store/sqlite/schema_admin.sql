-- hookgate schema: dead letters by hand, replays, and what attempts sent.
--
-- Deliveries may be 'discarded' (given up by hand, kept for the record).
-- SQLite cannot alter a CHECK constraint, and its documented alternative,
-- rebuilding the table, would have to name every column (other migrations
-- add some) and turn foreign keys off outside the migration's transaction.
-- Loosening a CHECK by rewriting the table's definition is the other way
-- SQLite documents (https://sqlite.org/lang_altertable.html, "making other
-- kinds of table schema changes"): no stored row changes, every existing
-- row still satisfies it, and the ALTER TABLEs below bump the schema
-- version so other connections reload it.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
	SET sql = replace(sql, '''pending'', ''succeeded'', ''dead'')', '''pending'', ''succeeded'', ''dead'', ''discarded'')')
	WHERE type = 'table' AND name = 'deliveries';
PRAGMA writable_schema = RESET;

-- A delivery retried by hand gets a fresh budget: the retry policy counts
-- attempts - attempt_base, and max_age from retried_at (0: never retried,
-- count from created_at).
ALTER TABLE deliveries ADD COLUMN attempt_base INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN retried_at   INTEGER NOT NULL DEFAULT 0;

-- A replay adds a delivery to a destination the event already has one to.
DROP INDEX deliveries_event;
CREATE INDEX deliveries_event ON deliveries (event_id, destination);

-- What each attempt sent and got back, secrets redacted: headers are JSON
-- objects (canonical key -> [values]), '' when unknown.
ALTER TABLE attempts ADD COLUMN request_method   TEXT NOT NULL DEFAULT '';
ALTER TABLE attempts ADD COLUMN request_url      TEXT NOT NULL DEFAULT '';
ALTER TABLE attempts ADD COLUMN request_headers  TEXT NOT NULL DEFAULT '';
ALTER TABLE attempts ADD COLUMN response_headers TEXT NOT NULL DEFAULT '';

-- Dead letters are listed and retried by id.
CREATE INDEX deliveries_dead ON deliveries (id) WHERE state = 'dead';
