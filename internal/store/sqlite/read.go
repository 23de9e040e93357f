package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// defaultLimit is the size of a listing when the caller gives none.
const defaultLimit = 100

// readPool holds up to opts.ReadConns query_only connections, opened as
// needed and kept open.
type readPool struct {
	uri   string
	opts  Options
	idle  chan *readConn
	slots chan struct{} // one token per open connection
}

func newReadPool(uri string, opts Options) *readPool {
	return &readPool{
		uri:   uri,
		opts:  opts,
		idle:  make(chan *readConn, opts.ReadConns),
		slots: make(chan struct{}, opts.ReadConns),
	}
}

// get returns an idle connection, opens one if there is room, or waits.
func (p *readPool) get(ctx context.Context) (*readConn, error) {
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	select {
	case c := <-p.idle:
		return c, nil
	case p.slots <- struct{}{}:
		c, err := openReader(p.uri, p.opts)
		if err != nil {
			<-p.slots
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// put gives c back, or drops it after an error that may have broken it.
func (p *readPool) put(c *readConn, err error) {
	if err != nil && isUnavailable(err) {
		_ = c.close()
		<-p.slots
		return
	}
	p.idle <- c
}

// close closes the idle connections: all of them, once no call is in flight.
func (p *readPool) close() error {
	var errs []error
	for {
		select {
		case c := <-p.idle:
			errs = append(errs, c.close())
		default:
			return errors.Join(errs...)
		}
	}
}

// readConn is a read-only connection and its prepared statements.
type readConn struct {
	conn  *sqlite3.Conn
	stmts map[string]*sqlite3.Stmt
}

func openReader(uri string, opts Options) (*readConn, error) {
	c, err := sqlite3.OpenFlags(uri, sqlite3.OPEN_READWRITE|sqlite3.OPEN_URI)
	if err != nil {
		return nil, fmt.Errorf("open read connection: %w", err)
	}
	err = c.BusyTimeout(opts.BusyTimeout)
	if err == nil {
		err = c.Exec(`PRAGMA query_only = ON; PRAGMA temp_store = MEMORY;`)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("set up read connection: %w", err)
	}
	return &readConn{conn: c, stmts: map[string]*sqlite3.Stmt{}}, nil
}

// stmt returns the connection's prepared statement for sql, reset and ready
// to bind.
func (c *readConn) stmt(sql string) (*sqlite3.Stmt, error) {
	if st, ok := c.stmts[sql]; ok {
		return st, nil
	}
	st, _, err := c.conn.PrepareFlags(sql, sqlite3.PREPARE_PERSISTENT)
	if err != nil {
		return nil, err
	}
	c.stmts[sql] = st
	return st, nil
}

func (c *readConn) close() error {
	var errs []error
	for _, st := range c.stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(append(errs, c.conn.Close())...)
}

// read runs f on a pooled read connection that ctx interrupts.
func (s *Store) read(ctx context.Context, f func(c *readConn) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		s.leave()
		return err
	}
	defer s.leave()
	c, err := s.readers.get(ctx)
	if err != nil {
		return unavailable(err)
	}
	c.conn.SetInterrupt(ctx)
	err = f(c)
	c.conn.SetInterrupt(context.Background())
	s.readers.put(c, err)
	if errors.Is(err, sqlite3.INTERRUPT) && ctx.Err() != nil {
		return ctx.Err()
	}
	return unavailable(err)
}

// Event returns one event with its body and headers.
func (s *Store) Event(ctx context.Context, id string) (*event.Event, error) {
	if ev, ok := s.recent.get(id); ok {
		if err := s.enter(); err != nil {
			return nil, fmt.Errorf("get event %s: %w", id, err)
		}
		s.leave()
		return ev, nil
	}
	var ev *event.Event
	err := s.read(ctx, func(c *readConn) error {
		st, err := c.stmt(`SELECT ` + eventCols + ` FROM events WHERE id = ?1`)
		if err != nil {
			return err
		}
		defer st.Reset()
		if err := st.BindText(1, id); err != nil {
			return err
		}
		if !st.Step() {
			if err := st.Err(); err != nil {
				return err
			}
			return store.ErrNotFound
		}
		ev, err = scanEvent(st)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get event %s: %w", id, err)
	}
	return ev, nil
}

// Delivery returns one delivery.
func (s *Store) Delivery(ctx context.Context, id string) (event.Delivery, error) {
	var d event.Delivery
	err := s.read(ctx, func(c *readConn) error {
		st, err := c.stmt(`SELECT ` + deliveryCols + ` FROM deliveries WHERE id = ?1`)
		if err != nil {
			return err
		}
		defer st.Reset()
		if err := st.BindText(1, id); err != nil {
			return err
		}
		if !st.Step() {
			if err := st.Err(); err != nil {
				return err
			}
			return store.ErrNotFound
		}
		d, err = scanDelivery(st)
		return err
	})
	if err != nil {
		return event.Delivery{}, fmt.Errorf("get delivery %s: %w", id, err)
	}
	return d, nil
}

// Deliveries lists deliveries matching f, newest first.
func (s *Store) Deliveries(ctx context.Context, f store.DeliveryFilter) ([]event.Delivery, error) {
	// One statement per combination of filters, so each can use its index.
	var sql strings.Builder
	sql.WriteString(`SELECT ` + deliveryCols + ` FROM deliveries`)
	var conds []string
	if f.EventID != "" {
		conds = append(conds, `event_id = ?1`)
	}
	if f.Destination != "" {
		conds = append(conds, `destination = ?2`)
	}
	if f.State != "" {
		conds = append(conds, `state = ?3`)
	}
	if len(conds) > 0 {
		sql.WriteString(` WHERE ` + strings.Join(conds, ` AND `))
	}
	sql.WriteString(` ORDER BY id DESC LIMIT ?4`)
	limit := f.Limit
	if limit <= 0 {
		limit = defaultLimit
	}

	var ds []event.Delivery
	err := s.read(ctx, func(c *readConn) error {
		st, err := c.stmt(sql.String())
		if err != nil {
			return err
		}
		defer st.Reset()
		b := binder{st: st}
		b.text(1, f.EventID)
		b.text(2, f.Destination)
		b.text(3, string(f.State))
		b.int64(4, int64(limit))
		if b.err != nil {
			return b.err
		}
		for st.Step() {
			d, err := scanDelivery(st)
			if err != nil {
				return err
			}
			ds = append(ds, d)
		}
		return st.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return ds, nil
}

// Attempts lists a delivery's attempts in order. It returns
// store.ErrNotFound if there is no such delivery.
func (s *Store) Attempts(ctx context.Context, deliveryID string) ([]event.Attempt, error) {
	var as []event.Attempt
	err := s.read(ctx, func(c *readConn) error {
		st, err := c.stmt(`SELECT delivery_id, n, id, started_at, duration, status, error, outcome, response,
				request_method, request_url, request_headers, response_headers
			FROM attempts WHERE delivery_id = ?1 ORDER BY n`)
		if err != nil {
			return err
		}
		defer st.Reset()
		if err := st.BindText(1, deliveryID); err != nil {
			return err
		}
		for st.Step() {
			a := event.Attempt{
				DeliveryID: st.ColumnText(0),
				N:          st.ColumnInt(1),
				ID:         st.ColumnText(2),
				StartedAt:  fromNanos(st.ColumnInt64(3)),
				Duration:   time.Duration(st.ColumnInt64(4)),
				Status:     st.ColumnInt(5),
				Error:      st.ColumnText(6),
				Outcome:    state(st.ColumnRawText(7)),
				Response:   st.ColumnBlob(8, nil),
			}
			if err := scanAttemptRecord(st, 9, &a); err != nil {
				return err
			}
			as = append(as, a)
		}
		if err := st.Err(); err != nil || len(as) > 0 {
			return err
		}
		return deliveryExists(c, deliveryID)
	})
	if err != nil {
		return nil, fmt.Errorf("list attempts of delivery %s: %w", deliveryID, err)
	}
	return as, nil
}

func deliveryExists(c *readConn, id string) error {
	st, err := c.stmt(`SELECT 1 FROM deliveries WHERE id = ?1`)
	if err != nil {
		return err
	}
	defer st.Reset()
	if err := st.BindText(1, id); err != nil {
		return err
	}
	if !st.Step() {
		if err := st.Err(); err != nil {
			return err
		}
		return store.ErrNotFound
	}
	return nil
}

// Rejections lists the newest refused requests, newest first.
func (s *Store) Rejections(ctx context.Context, limit int) ([]event.Rejection, error) {
	if limit <= 0 {
		limit = defaultLimit
	}
	var rs []event.Rejection
	err := s.read(ctx, func(c *readConn) error {
		st, err := c.stmt(`SELECT id, source, received_at, status, reason, remote_addr
			FROM rejections ORDER BY id DESC LIMIT ?1`)
		if err != nil {
			return err
		}
		defer st.Reset()
		if err := st.BindInt64(1, int64(limit)); err != nil {
			return err
		}
		for st.Step() {
			rs = append(rs, event.Rejection{
				ID:         st.ColumnText(0),
				Source:     st.ColumnText(1),
				ReceivedAt: fromNanos(st.ColumnInt64(2)),
				Status:     st.ColumnInt(3),
				Reason:     st.ColumnText(4),
				RemoteAddr: st.ColumnText(5),
			})
		}
		return st.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list rejections: %w", err)
	}
	return rs, nil
}
