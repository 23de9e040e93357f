-- hookgate schema: what routes add to deliveries (see docs/routing.md).
-- The same changes as the SQLite engine's schema_routes.sql. Adding columns
-- with constant defaults rewrites no rows.

-- A route's transform may replace the body a delivery sends (NULL: the
-- event's own) and set headers (a JSON object, canonical key -> [values];
-- '' when none).
ALTER TABLE deliveries
	ADD COLUMN ordering_key text COLLATE "C" NOT NULL DEFAULT '',  -- '' when unordered
	ADD COLUMN headers      text             NOT NULL DEFAULT '',
	ADD COLUMN body         bytea;

-- Ordering: Lease takes a delivery with a key only when no older pending
-- delivery has the same destination and key. Older is (created_at, id); the
-- index holds only the pending, keyed deliveries, so each check is one probe.
CREATE INDEX deliveries_ordering ON deliveries (destination, ordering_key, created_at, id)
	WHERE ordering_key <> '' AND state = 'pending';
