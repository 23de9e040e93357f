-- hookgate schema: what routes add to deliveries (see docs/routing.md).

-- A route's transform may replace the body a delivery sends (NULL: the
-- event's own) and set headers (a JSON object, canonical key -> [values];
-- '' when none). body is the last column, so that reading the others never
-- touches its overflow pages.
ALTER TABLE deliveries ADD COLUMN ordering_key TEXT NOT NULL DEFAULT '';  -- '' when unordered
ALTER TABLE deliveries ADD COLUMN headers      TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN body         BLOB;

-- Ordering: Lease takes a delivery with a key only when no older pending
-- delivery has the same destination and key. Older is (created_at, id); the
-- index holds only the pending, keyed deliveries, so each check is one probe.
CREATE INDEX deliveries_ordering ON deliveries (destination, ordering_key, created_at, id)
	WHERE ordering_key <> '' AND state = 'pending';
