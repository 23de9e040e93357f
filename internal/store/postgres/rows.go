package postgres

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hookgate/hookgate/internal/event"
)

// nanos is how times are stored: unix nanoseconds, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos undoes nanos, in UTC.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// text makes s storable in a text column: PostgreSQL refuses bytes that are
// not UTF-8, and NUL. Such bytes become U+FFFD, as they do in headers stored
// as JSON. Valid strings are returned as they are, without copying.
func text(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return s
}

// nonNil returns b, or an empty slice for nil: pgx sends a nil []byte as NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// headerJSON encodes h as a JSON object (canonical key -> values), the
// format the SQLite engine stores. Bytes that are not UTF-8 become U+FFFD.
func headerJSON(buf *bytes.Buffer, h http.Header) (string, error) {
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// deliveryCols are the columns scanDelivery reads, in order.
const deliveryCols = `id, event_id, destination, state, attempts, next_at, created_at, updated_at, last_error, lease, attempt_base, retried_at,
	ordering_key, headers, body`

// scanner is a pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanDelivery reads deliveryCols, after leading columns read into before.
func scanDelivery(row scanner, before ...any) (event.Delivery, error) {
	var (
		d                          event.Delivery
		state                      string
		nextAt, created, updatedAt int64
		retriedAt                  int64
		headers                    string
	)
	// A NULL body scans as nil (no override), an empty one as empty.
	dest := append(before, &d.ID, &d.EventID, &d.Destination, &state, &d.Attempts,
		&nextAt, &created, &updatedAt, &d.LastError, &d.Lease, &d.AttemptBase, &retriedAt,
		&d.OrderingKey, &headers, &d.Body)
	if err := row.Scan(dest...); err != nil {
		return event.Delivery{}, err
	}
	if headers != "" {
		if err := json.Unmarshal([]byte(headers), &d.Header); err != nil {
			return event.Delivery{}, fmt.Errorf("delivery %s headers: %w", d.ID, err)
		}
	}
	d.State = event.State(state)
	d.NextAt, d.CreatedAt, d.UpdatedAt = fromNanos(nextAt), fromNanos(created), fromNanos(updatedAt)
	d.RetriedAt = fromNanos(retriedAt)
	return d, nil
}

// eventCols are the columns scanEvent reads, in order.
const eventCols = `id, source, delivery_id, type, method, received_at, query, headers, body, traceparent`

func scanEvent(row scanner) (*event.Event, error) {
	var (
		ev         event.Event
		receivedAt int64
		query      []byte
		headers    string
		trace      *string // NULL: not traced
	)
	err := row.Scan(&ev.ID, &ev.Source, &ev.DeliveryID, &ev.Type, &ev.Method, &receivedAt, &query, &headers, &ev.Body, &trace)
	if err != nil {
		return nil, err
	}
	ev.ReceivedAt = fromNanos(receivedAt)
	ev.Query = string(query)
	if trace != nil {
		ev.TraceParent = *trace
	}
	if ev.Body == nil {
		ev.Body = []byte{}
	}
	if err := json.Unmarshal([]byte(headers), &ev.Header); err != nil {
		return nil, err
	}
	return &ev, nil
}
