-- hookgate schema, version 1.
--
-- Times are unix nanoseconds (UTC) in INTEGER columns; 0 means "not set".
-- Ids are UUIDv7 text, so ordering by id is ordering by arrival.
-- The PostgreSQL engine keeps the same tables and columns.

-- events: every accepted request, byte for byte. The body is the last column
-- so that reading the other columns never touches its overflow pages.
CREATE TABLE events (
	id          TEXT    NOT NULL PRIMARY KEY,
	source      TEXT    NOT NULL,
	delivery_id TEXT    NOT NULL,          -- the provider's id, '' when none
	type        TEXT    NOT NULL,
	method      TEXT    NOT NULL,
	received_at INTEGER NOT NULL,
	query       TEXT    NOT NULL,          -- raw query string, no '?'
	headers     TEXT    NOT NULL,          -- JSON object: canonical key -> [values]
	body        BLOB    NOT NULL
);

-- Dedup: one event per (source, provider delivery id); '' never dedups.
CREATE UNIQUE INDEX events_dedup ON events (source, delivery_id) WHERE delivery_id <> '';

-- deliveries: what is owed to one destination for one event. Small rows keyed
-- by id, so WITHOUT ROWID saves a b-tree per insert.
CREATE TABLE deliveries (
	id          TEXT    NOT NULL PRIMARY KEY,
	event_id    TEXT    NOT NULL REFERENCES events (id),
	destination TEXT    NOT NULL,
	state       TEXT    NOT NULL CHECK (state IN ('pending', 'succeeded', 'dead')),
	attempts    INTEGER NOT NULL,
	next_at     INTEGER NOT NULL,          -- due time; the lease expiry while leased
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	last_error  TEXT    NOT NULL,
	lease       TEXT    NOT NULL           -- '' when not leased
) WITHOUT ROWID;

-- Listing an event's deliveries; also one delivery per destination per event.
CREATE UNIQUE INDEX deliveries_event ON deliveries (event_id, destination);
-- Lease: state = 'pending' AND next_at <= now ORDER BY next_at, id.
CREATE INDEX deliveries_due ON deliveries (state, next_at);

-- attempts: one row per try, numbered from 1 per delivery.
CREATE TABLE attempts (
	delivery_id TEXT    NOT NULL REFERENCES deliveries (id),
	n           INTEGER NOT NULL,
	id          TEXT    NOT NULL,
	started_at  INTEGER NOT NULL,
	duration    INTEGER NOT NULL,          -- nanoseconds
	status      INTEGER NOT NULL,
	error       TEXT    NOT NULL,
	outcome     TEXT    NOT NULL CHECK (outcome IN ('pending', 'succeeded', 'dead')),
	response    BLOB    NOT NULL,
	PRIMARY KEY (delivery_id, n)
);

-- rejections: refused requests, never with a secret or a signature.
CREATE TABLE rejections (
	id          TEXT    NOT NULL PRIMARY KEY,
	source      TEXT    NOT NULL,
	received_at INTEGER NOT NULL,
	status      INTEGER NOT NULL,
	reason      TEXT    NOT NULL,
	remote_addr TEXT    NOT NULL
) WITHOUT ROWID;

-- meta: engine bookkeeping. 'ping' is bumped by Ping to prove writes work.
CREATE TABLE meta (
	key   TEXT    NOT NULL PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('ping', 0);
