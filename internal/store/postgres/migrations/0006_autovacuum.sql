-- deliveries is a queue: every lease and every completion leaves a dead
-- index entry at the front of deliveries_due (the next_at the row was due
-- at), which each Lease must step over until VACUUM removes it. With the
-- default trigger (20% of the table dead) the front filled with hundreds of
-- thousands of dead entries under load, and a lease of 32 rows read ~600
-- buffers instead of ~80 (docs/benchmarks.md). Vacuum this table after a
-- fixed number of dead rows instead, without throttling. How often
-- autovacuum looks is the server's autovacuum_naptime (docs/scaling.md).
ALTER TABLE deliveries SET (
	autovacuum_vacuum_scale_factor = 0,
	autovacuum_vacuum_threshold = 10000,
	autovacuum_vacuum_cost_delay = 0
);
