-- hookgate schema: due deliveries by destination (migration 8).
--
-- The delivery worker leases per destination, as many as each destination
-- has room for (store.Store.LeaseEach): a backlog to one destination must
-- not be leased past its room, nor ahead of what is due elsewhere. The due
-- index leads with the destination, so each destination's due deliveries are
-- one range, oldest first. It replaces the index on next_at alone rather than
-- joining it: each delivery's lease and retry move one entry, as before.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (destination, next_at) WHERE state = 'pending';
