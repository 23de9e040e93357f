-- hookgate schema, version 1 (PostgreSQL).
--
-- The same tables and columns as the SQLite engine's schema.sql. Times are
-- unix nanoseconds (UTC) in BIGINT columns; 0 means "not set". Ids are UUIDv7
-- text in the "C" collation, so ordering by id is ordering by arrival and
-- uses the indexes whatever the database's default collation is. Text
-- columns hold UTF-8 (PostgreSQL refuses other bytes in text); the raw query
-- string is bytea because a request line may carry any byte.

-- events: every accepted request, byte for byte.
CREATE TABLE events (
	id          text COLLATE "C" NOT NULL PRIMARY KEY,
	source      text COLLATE "C" NOT NULL,
	delivery_id text COLLATE "C" NOT NULL,  -- the provider's id, '' when none
	type        text             NOT NULL,
	method      text             NOT NULL,
	received_at bigint           NOT NULL,
	query       bytea            NOT NULL,  -- raw query string, no '?'
	headers     text             NOT NULL,  -- JSON object: canonical key -> [values]
	body        bytea            NOT NULL
);

-- Dedup: one event per (source, provider delivery id); '' never dedups.
-- Ingest's ON CONFLICT names this index.
CREATE UNIQUE INDEX events_dedup ON events (source, delivery_id) WHERE delivery_id <> '';

-- deliveries: what is owed to one destination for one event.
CREATE TABLE deliveries (
	id          text COLLATE "C" NOT NULL PRIMARY KEY,
	event_id    text COLLATE "C" NOT NULL REFERENCES events (id),
	destination text COLLATE "C" NOT NULL,
	state       text             NOT NULL CHECK (state IN ('pending', 'succeeded', 'dead')),
	attempts    integer          NOT NULL,
	next_at     bigint           NOT NULL,  -- due time; the lease expiry while leased
	created_at  bigint           NOT NULL,
	updated_at  bigint           NOT NULL,
	last_error  text             NOT NULL,
	lease       text COLLATE "C" NOT NULL   -- '' when not leased
);

-- Listing an event's deliveries; also one delivery per destination per event.
CREATE UNIQUE INDEX deliveries_event ON deliveries (event_id, destination);
-- Lease: state = 'pending' AND next_at <= now ORDER BY next_at, id. Partial,
-- so finished deliveries cost the lease query nothing.
CREATE INDEX deliveries_due ON deliveries (next_at, id) WHERE state = 'pending';

-- attempts: one row per try, numbered from 1 per delivery.
CREATE TABLE attempts (
	delivery_id text COLLATE "C" NOT NULL REFERENCES deliveries (id),
	n           integer          NOT NULL,
	id          text COLLATE "C" NOT NULL,
	started_at  bigint           NOT NULL,
	duration    bigint           NOT NULL,  -- nanoseconds
	status      integer          NOT NULL,
	error       text             NOT NULL,
	outcome     text             NOT NULL CHECK (outcome IN ('pending', 'succeeded', 'dead')),
	response    bytea            NOT NULL,
	PRIMARY KEY (delivery_id, n)
);

-- rejections: refused requests, never with a secret or a signature.
CREATE TABLE rejections (
	id          text COLLATE "C" NOT NULL PRIMARY KEY,
	source      text             NOT NULL,
	received_at bigint           NOT NULL,
	status      integer          NOT NULL,
	reason      text             NOT NULL,
	remote_addr text             NOT NULL
);

-- meta: engine bookkeeping. 'ping' is bumped by Ping to prove writes work.
CREATE TABLE meta (
	key   text   NOT NULL PRIMARY KEY,
	value bigint NOT NULL
);
INSERT INTO meta (key, value) VALUES ('ping', 0);
