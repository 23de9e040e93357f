package sqlite

import (
	"fmt"
	"hash/fnv"
	"net/url"
	"strings"

	"github.com/ncruces/go-sqlite3"
)

// Dedup by the provider's delivery id needs an index from (source, delivery
// id) to the event. Delivery ids are random (GitHub's and most providers' are
// UUIDs), so each new entry lands on a random leaf of that index: a group
// commit of n events rewrote n random pages, and with the 8 KiB pages the
// event bodies want, that was 8 KiB of WAL (written, checksummed, then copied
// again by the checkpoint) per event, on top of the event itself. Measured on
// the ingest benchmark, that index cost 17-30% of durable ingest
// (docs/benchmarks.md).
//
// So the index lives in a second SQLite file next to the database, attached
// to the writer's connection as "dedup", with 1 KiB pages: a random insert
// rewrites 1 KiB. Its entries are small, (FNV-1a 64 hash of source and
// delivery id, events rowid), and a probe joins the event to compare the
// real source and delivery id, so a hash collision is only a wasted probe.
//
// The file is an index, not a record: everything in it can be rebuilt from
// the events table, which stays the only place an accepted event is made
// durable. That lets it skip the fsync on commit (synchronous=NORMAL: in
// WAL mode, a power loss can lose its last transactions but never corrupt
// it). What a loss can leave, and how each is made right:
//
//   - entries missing for committed events (its last commits lost): the
//     file's mark holds the rowid of the last event stored (with a delivery
//     id or not), written in the same transaction; at open, repairDedup indexes every
//     event past the mark. A missing or new file has mark 0, so the index is
//     rebuilt from the events table (which is also how a database made before
//     this file existed gets its index).
//   - entries for events that are not there (the events' transaction rolled
//     back or lost while the index's survived, or a purge whose index part
//     was lost): a probe only counts an entry whose event row has the same
//     source and delivery id, so such an entry matches nothing.
//
// Both files are written in one transaction by the one writer, so in normal
// running (no power loss) they agree exactly, including for duplicates
// inside one group commit.
const dedupSchema = `
CREATE TABLE IF NOT EXISTS dedup.keys (
	h           INTEGER NOT NULL,  -- dedupHash(source, delivery_id)
	event_rowid INTEGER NOT NULL,  -- events.rowid
	PRIMARY KEY (h, event_rowid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dedup.mark (
	k     INTEGER PRIMARY KEY CHECK (k = 0),
	rowid INTEGER NOT NULL          -- the last events.rowid indexed
);
INSERT OR IGNORE INTO dedup.mark (k, rowid) VALUES (0, 0);`

// dedupPath is where the dedup index of the database at path lives.
func dedupPath(path string) string { return path + "-dedup" }

// dedupHash is the index key of a (source, delivery id) pair. FNV-1a is
// stable across processes and versions, which the file needs; its weakness
// against chosen collisions costs only probes, since every match is checked
// against the event row.
func dedupHash(source, deliveryID string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(source))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(deliveryID))
	return int64(h.Sum64())
}

// attachDedup attaches the dedup index of the database at uri to c, creating
// it if missing.
func attachDedup(c *sqlite3.Conn, uri string) error {
	du, err := dedupURI(uri)
	if err != nil {
		return err
	}
	st, _, err := c.Prepare(`ATTACH DATABASE ?1 AS dedup`)
	if err != nil {
		return fmt.Errorf("attach dedup index: %w", err)
	}
	defer st.Close()
	if err := st.BindText(1, du); err != nil {
		return fmt.Errorf("attach dedup index: %w", err)
	}
	if err := st.Exec(); err != nil {
		return fmt.Errorf("attach dedup index %s: %w", du, err)
	}
	// page_size counts only before the file's first write.
	if err := c.Exec(`PRAGMA dedup.page_size = 1024;
		PRAGMA dedup.journal_mode = WAL;
		PRAGMA dedup.synchronous = NORMAL;
		PRAGMA dedup.journal_size_limit = 16777216;`); err != nil {
		return fmt.Errorf("set up dedup index: %w", err)
	}
	if mode, err := pragmaText(c, `PRAGMA dedup.journal_mode`); err != nil {
		return err
	} else if mode != "wal" {
		return fmt.Errorf("dedup index journal mode is %q, want wal", mode)
	}
	if err := c.Exec(dedupSchema); err != nil {
		return fmt.Errorf("create dedup index: %w", err)
	}
	return nil
}

// dedupURI is the URI of the dedup index of the database at uri (a file:
// URI as fileURI makes).
func dedupURI(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" {
		return "", fmt.Errorf("dedup index of %q: not a file URI", uri)
	}
	u.Path = dedupPath(u.Path)
	return u.String(), nil
}

// repairDedup indexes every event past the dedup file's mark (see the
// comment on dedupSchema), in one transaction. It returns how many events
// it indexed.
func repairDedup(c *sqlite3.Conn) (n int, err error) {
	if err := c.Exec(`BEGIN IMMEDIATE`); err != nil {
		return 0, fmt.Errorf("repair dedup index: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = c.Exec(`ROLLBACK`)
			err = fmt.Errorf("repair dedup index: %w", err)
		}
	}()
	sel, _, err := c.Prepare(`SELECT rowid, source, delivery_id FROM events
		WHERE rowid > (SELECT rowid FROM dedup.mark) AND delivery_id <> '' ORDER BY rowid`)
	if err != nil {
		return 0, err
	}
	defer sel.Close()
	ins, _, err := c.Prepare(`INSERT OR REPLACE INTO dedup.keys (h, event_rowid) VALUES (?1, ?2)`)
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	for sel.Step() {
		b := binder{st: ins}
		b.int64(1, dedupHash(sel.ColumnText(1), sel.ColumnText(2)))
		b.int64(2, sel.ColumnInt64(0))
		if err := b.exec(); err != nil {
			return 0, err
		}
		n++
	}
	if err := sel.Err(); err != nil {
		return 0, err
	}
	if err := c.Exec(`UPDATE dedup.mark SET rowid = coalesce((SELECT max(rowid) FROM events), 0)`); err != nil {
		return 0, err
	}
	if err := c.Exec(`COMMIT`); err != nil {
		return 0, err
	}
	return n, nil
}

// isDedupName reports whether a WAL hook's schema name is the dedup file's.
func isDedupName(name string) bool { return strings.EqualFold(name, "dedup") }
