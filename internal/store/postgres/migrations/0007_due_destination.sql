-- Due deliveries by destination: the delivery worker leases per destination,
-- as many as each has room for (store.Store.LeaseEach), so that a backlog to
-- one destination is neither leased past its room nor ahead of what is due
-- elsewhere. Each destination's due deliveries are one range of this index,
-- oldest first. deliveries_due stays for leases across destinations.
CREATE INDEX deliveries_due_destination ON deliveries (destination, next_at, id) WHERE state = 'pending';
