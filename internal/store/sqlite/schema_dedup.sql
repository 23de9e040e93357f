-- hookgate schema: dedup moves to its own file (migration 6).
--
-- The unique index on (source, delivery_id) wrote a random 8 KiB page per
-- new event. The dedup index now lives in the file next to the database
-- (dedup.go), which the writer fills from this table when it is new.
DROP INDEX events_dedup;
