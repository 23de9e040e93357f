package sqlite

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/ncruces/go-sqlite3"

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

// state returns the State spelled by raw without allocating for known ones.
func state(raw []byte) event.State {
	switch string(raw) {
	case string(event.Pending):
		return event.Pending
	case string(event.Succeeded):
		return event.Succeeded
	case string(event.Dead):
		return event.Dead
	case string(event.Discarded):
		return event.Discarded
	}
	return event.State(raw)
}

// binder binds statement parameters, keeping the first error so call sites
// stay flat.
type binder struct {
	st  *sqlite3.Stmt
	err error
}

func (b *binder) text(i int, v string) {
	if b.err == nil {
		b.err = b.st.BindText(i, v)
	}
}

// rawText binds v as TEXT without copying it into a string first.
func (b *binder) rawText(i int, v []byte) {
	if len(v) == 0 {
		b.text(i, "")
	} else if b.err == nil {
		b.err = b.st.BindRawText(i, v)
	}
}

func (b *binder) int64(i int, v int64) {
	if b.err == nil {
		b.err = b.st.BindInt64(i, v)
	}
}

// blob binds v as a BLOB; nil and empty both become an empty BLOB (not NULL).
func (b *binder) blob(i int, v []byte) {
	if b.err == nil {
		if len(v) == 0 {
			b.err = b.st.BindZeroBlob(i, 0)
		} else {
			b.err = b.st.BindBlob(i, v)
		}
	}
}

// nullableText binds v as TEXT, and "" as NULL.
func (b *binder) nullableText(i int, v string) {
	if v == "" {
		if b.err == nil {
			b.err = b.st.BindNull(i)
		}
		return
	}
	b.text(i, v)
}

// nullableBlob binds v as a BLOB, and nil as NULL.
func (b *binder) nullableBlob(i int, v []byte) {
	if v == nil {
		if b.err == nil {
			b.err = b.st.BindNull(i)
		}
		return
	}
	b.blob(i, v)
}

// exec binds nothing more and runs the statement to completion.
func (b *binder) exec() error {
	if b.err != nil {
		return b.err
	}
	return b.st.Exec()
}

// deliveryCols are the columns scanDelivery reads, in order.
const deliveryCols = `id, event_id, destination, state, attempts, next_at, created_at, updated_at, last_error, lease, attempt_base, retried_at,
	ordering_key, headers, body`

func scanDelivery(st *sqlite3.Stmt) (event.Delivery, error) {
	d := event.Delivery{
		ID:          st.ColumnText(0),
		EventID:     st.ColumnText(1),
		Destination: st.ColumnText(2),
		State:       state(st.ColumnRawText(3)),
		Attempts:    st.ColumnInt(4),
		NextAt:      fromNanos(st.ColumnInt64(5)),
		CreatedAt:   fromNanos(st.ColumnInt64(6)),
		UpdatedAt:   fromNanos(st.ColumnInt64(7)),
		LastError:   st.ColumnText(8),
		Lease:       st.ColumnText(9),
		AttemptBase: st.ColumnInt(10),
		RetriedAt:   fromNanos(st.ColumnInt64(11)),
		OrderingKey: st.ColumnText(12),
	}
	if raw := st.ColumnRawText(13); len(raw) > 0 {
		if err := json.Unmarshal(raw, &d.Header); err != nil {
			return event.Delivery{}, fmt.Errorf("delivery %s headers: %w", d.ID, err)
		}
	}
	if st.ColumnType(14) != sqlite3.NULL {
		d.Body = st.ColumnBlob(14, []byte{})
	}
	return d, nil
}

// eventCols are the columns scanEvent reads, in order.
const eventCols = `id, source, delivery_id, type, method, received_at, query, headers, body, traceparent`

func scanEvent(st *sqlite3.Stmt) (*event.Event, error) {
	ev := &event.Event{
		ID:         st.ColumnText(0),
		Source:     st.ColumnText(1),
		DeliveryID: st.ColumnText(2),
		Type:       st.ColumnText(3),
		Method:     st.ColumnText(4),
		ReceivedAt: fromNanos(st.ColumnInt64(5)),
		Query:      st.ColumnText(6),
		Body:       st.ColumnBlob(8, []byte{}),
		// NULL (not traced) reads as "".
		TraceParent: st.ColumnText(9),
	}
	if err := json.Unmarshal(st.ColumnRawText(7), &ev.Header); err != nil {
		return nil, err
	}
	return ev, nil
}

// appendHeaderJSON appends h as a JSON object with sorted keys, exactly as
// encoding/json would with HTML escaping off, but without its allocations.
// keys is scratch space, returned for reuse. As with encoding/json, bytes
// that are not UTF-8 become U+FFFD.
func appendHeaderJSON(dst []byte, keys []string, h http.Header) ([]byte, []string) {
	keys = keys[:0]
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		vs := h[k]
		if vs == nil {
			dst = append(dst, "null"...)
			continue
		}
		dst = append(dst, '[')
		for j, v := range vs {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, v)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}'), keys
}

func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// encoding/json escapes these so the output is valid JavaScript.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
