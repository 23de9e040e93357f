package sqlite

import (
	"fmt"

	"github.com/ncruces/go-sqlite3"
)

// WAL checkpoints copy committed pages from the WAL into the database file
// and fsync it, after which the WAL can start over. SQLite runs them inside
// the commit that crosses wal_autocheckpoint pages, which would stall every
// write behind it. Here a checkpointer goroutine runs them on its own
// connection instead (WAL lets a checkpoint run beside the writer).
//
// The WAL can only start over when a checkpoint has caught up with the last
// commit, which a checkpoint racing a busy writer rarely has. So once the WAL
// reaches 4 × Options.checkpointPages, the writer stops waking the
// checkpointer and runs a passive checkpoint itself after each commit until
// one gets through (the checkpointer has copied most pages by then, so it is
// short, and the next transaction starts the WAL over). Should the WAL still
// reach 16 × (a long read holding an old snapshot, a checkpoint that keeps
// failing), the writer's checkpoint waits for readers, up to BusyTimeout.
//
// checkpointer runs passive checkpoints on its own connection whenever kicked.
type checkpointer struct {
	conn *sqlite3.Conn
	kick chan struct{}
	done chan struct{}
}

func startCheckpointer(uri string, opts Options) (*checkpointer, error) {
	c, err := sqlite3.OpenFlags(uri, sqlite3.OPEN_READWRITE|sqlite3.OPEN_URI)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint connection: %w", err)
	}
	if err := c.BusyTimeout(opts.BusyTimeout); err != nil {
		c.Close()
		return nil, fmt.Errorf("set up checkpoint connection: %w", err)
	}
	if err := attachDedup(c, uri); err != nil {
		c.Close()
		return nil, fmt.Errorf("set up checkpoint connection: %w", err)
	}
	// Its own commits (none are expected) must not checkpoint.
	c.WALHook(func(*sqlite3.Conn, string, int) error { return nil })
	// A connection that has not read the database yet has not opened its
	// WAL, and its checkpoints do nothing.
	if err := c.Exec(`SELECT count(*) FROM meta; SELECT count(*) FROM dedup.mark`); err != nil {
		c.Close()
		return nil, fmt.Errorf("set up checkpoint connection: %w", err)
	}
	cp := &checkpointer{conn: c, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go cp.run()
	return cp, nil
}

func (cp *checkpointer) run() {
	defer close(cp.done)
	for range cp.kick {
		// Errors show up on the writer's path soon enough; a checkpoint
		// that fails is tried again at the next kick. Both files: the
		// database and its dedup index.
		_, _, _ = cp.conn.WALCheckpoint("main", sqlite3.CHECKPOINT_PASSIVE)
		_, _, _ = cp.conn.WALCheckpoint("dedup", sqlite3.CHECKPOINT_PASSIVE)
	}
}

// wake asks for a checkpoint without waiting.
func (cp *checkpointer) wake() {
	select {
	case cp.kick <- struct{}{}:
	default:
	}
}

// stop waits for a running checkpoint and closes the connection.
func (cp *checkpointer) stop() error {
	close(cp.kick)
	<-cp.done
	return cp.conn.Close()
}

// afterCommit is called by the writer after each commit, with w.walPages
// and w.dedupWAL set by the WAL hook. Below the catch-up size it wakes the
// checkpointer each time a WAL has grown by its checkpoint size (more often
// would mean more, smaller checkpoints, each with its own fsyncs).
func (w *writer) afterCommit() {
	if w.conn == nil {
		return
	}
	wake := w.walCheck("main", w.walPages, &w.kickedAt, w.opts.checkpointPages)
	// The dedup file's pages are an eighth of the size.
	if w.walCheck("dedup", w.dedupWAL, &w.dedupKicked, 8*w.opts.checkpointPages) {
		wake = true
	}
	if wake {
		w.checkpoints.wake()
	}
}

// walCheck applies the rules of the checkpointer's comment to one WAL of
// pages pages, checkpointing on the writer itself past the catch-up size,
// and reports whether the checkpointer should be woken.
func (w *writer) walCheck(schema string, pages int, kickedAt *int, every int) bool {
	if pages < *kickedAt {
		*kickedAt = 0 // the WAL started over
	}
	switch {
	case pages >= 16*every:
		_, _, _ = w.conn.WALCheckpoint(schema, sqlite3.CHECKPOINT_FULL)
	case pages >= 4*every:
		// BUSY means the checkpointer is finishing a pass; like any failure
		// here, the next commit tries again.
		_, _, _ = w.conn.WALCheckpoint(schema, sqlite3.CHECKPOINT_PASSIVE)
	case pages-*kickedAt >= every:
		*kickedAt = pages
		return true
	}
	return false
}
