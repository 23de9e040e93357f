-- hookgate schema: succeeded deliveries leave the due and per-destination
-- indexes (migration 7).
--
-- Succeeded deliveries are most of the table and are never leased or
-- counted, but each success moved its entry in both indexes (state is part
-- of the key). Now a success only removes the entries; the one thing read
-- from them, a destination's last success, is kept in destination_success,
-- which the writer updates once per commit per destination.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_at) WHERE state = 'pending';
DROP INDEX deliveries_destination;
CREATE INDEX deliveries_destination ON deliveries (destination, state) WHERE state <> 'succeeded';

CREATE TABLE destination_success (
	destination TEXT    NOT NULL PRIMARY KEY,
	at          INTEGER NOT NULL           -- the newest succeeded delivery's updated_at
) WITHOUT ROWID;
INSERT INTO destination_success (destination, at)
	SELECT destination, max(updated_at) FROM deliveries WHERE state = 'succeeded' GROUP BY destination;
