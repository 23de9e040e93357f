-- hookgate schema: the read side (listings, stats) and retention.
-- The same indexes as the SQLite engine's schema_query.sql.
--
-- Each index costs every write to its table, so there are as few as the
-- queries of query.go need to stay off whole-table scans.

-- Event listings filtered by source page through ids newest first; a
-- source's last event is the last entry of its range. Listings by type alone
-- page through the primary key, newest first, and check each row: an index
-- on type cost durable ingest about 6% (docs/benchmarks.md), for a filter
-- that is mostly used with a source.
CREATE INDEX events_source ON events (source, id);
-- Retention removes the oldest events first; listings bounded by receive
-- time, and SourceStats' counts since a time, read a range of it (source
-- is there so those counts never touch the table).
CREATE INDEX events_received ON events (received_at, source);

-- Listings of the events with a delivery in a given state, for the sparse
-- states: pending (the backlog), dead and discarded. Succeeded deliveries,
-- most of the table, stay out of it; a listing by that state probes
-- deliveries_event instead.
CREATE INDEX deliveries_open ON deliveries (state, event_id) WHERE state <> 'succeeded';
-- DestinationStats: pending and dead counts per destination, and its last
-- success (the newest updated_at of its succeeded deliveries). Lease does
-- not change these columns, so it does not write this index.
CREATE INDEX deliveries_destination ON deliveries (destination, state, updated_at);

-- Rejections, as events: the last one of a source, counts since a time,
-- retention by age.
CREATE INDEX rejections_source ON rejections (source, id);
CREATE INDEX rejections_received ON rejections (received_at, source);
