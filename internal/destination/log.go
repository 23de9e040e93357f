package destination

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/hookgate/hookgate/internal/event"
)

// Log delivers events by printing them, for trying hookgate out and for
// watching what providers send. Each event is a header line, then the body,
// then a blank line:
//
//	2026-05-01T12:00:00.000Z source=github type=push event=0196...
//	{
//	  "ref": "refs/heads/main"
//	}
//
// The time is when hookgate received the event, in UTC; type= is left out
// when the provider has none, and values with spaces or control characters
// are quoted. A JSON body is indented; other text is
// printed as is; a body that is not UTF-8 text is summarised as
// "(N bytes of binary, Content-Type ...)" rather than sent to a terminal.
//
// A successful write is reported as Status 200, so a log destination reads
// like any other in attempt records; a failed write is a retryable Err.
// Log is safe for concurrent use: each event is one Write, under a lock, so
// events never interleave.
type Log struct {
	mu sync.Mutex
	w  io.Writer
}

var _ Destination = (*Log)(nil)

// NewLog returns a Log destination that writes to w.
func NewLog(w io.Writer) *Log { return &Log{w: w} }

// Deliver prints ev.
func (l *Log) Deliver(ctx context.Context, ev *event.Event, d event.Delivery) Result {
	if err := ctx.Err(); err != nil {
		return Result{Err: err}
	}
	b := Format(ev)
	l.mu.Lock()
	_, err := l.w.Write(b)
	l.mu.Unlock()
	if err != nil {
		return Result{Err: fmt.Errorf("write: %w", err)}
	}
	return Result{Status: http.StatusOK}
}

// Format returns ev as Log prints it.
func Format(ev *event.Event) []byte {
	var b bytes.Buffer
	b.WriteString(ev.ReceivedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	fmt.Fprintf(&b, " source=%s", field(ev.Source))
	if ev.Type != "" {
		fmt.Fprintf(&b, " type=%s", field(ev.Type))
	}
	fmt.Fprintf(&b, " event=%s\n", field(ev.ID))
	switch {
	case len(ev.Body) == 0:
		b.WriteString("(empty body)")
	case json.Valid(ev.Body):
		// Indent cannot fail on valid JSON.
		_ = json.Indent(&b, bytes.TrimSpace(ev.Body), "", "  ")
	case utf8.Valid(ev.Body):
		b.Write(bytes.TrimRight(ev.Body, "\r\n"))
	default:
		fmt.Fprintf(&b, "(%d bytes of binary", len(ev.Body))
		if ct := ev.ContentType(); ct != "" {
			fmt.Fprintf(&b, ", Content-Type %s", ct)
		}
		b.WriteString(")")
	}
	b.WriteString("\n\n")
	return b.Bytes()
}

// field quotes s when it holds spaces, quotes or control characters, so a
// provider-chosen event type cannot forge a header line.
func field(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '"' }) {
		return strconv.Quote(s)
	}
	return s
}
