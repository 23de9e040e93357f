package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hookgate/hookgate/internal/relay"
)

// keptRecords is how many events the view keeps for replay and show.
const keptRecords = 1000

// view is hookgate listen's output: a line per notice and per event, text
// or JSON, and the commands typed on a terminal. It is a relay.Observer.
type view struct {
	json bool

	mu       sync.Mutex
	out      io.Writer
	seq      int
	recs     map[int]relay.Record
	caughtUp bool
}

var _ relay.Observer = (*view)(nil)

func newView(out io.Writer, json bool) *view {
	return &view{out: out, json: json, recs: map[int]relay.Record{}}
}

// Notice prints a change of the connection.
func (v *view) Notice(n relay.Notice) {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch n.Kind {
	case relay.Backlog:
		if !v.caughtUp {
			return // still catching up: the count only goes down
		}
		v.caughtUp = false
	case relay.CaughtUp:
		if v.caughtUp {
			return
		}
		v.caughtUp = true
	case relay.Connected, relay.Disconnected:
		v.caughtUp = false
	}
	if v.json {
		v.writeJSON(struct {
			relay.Notice
			RetryInMS int64 `json:"retry_in_ms,omitempty"`
		}{n, n.RetryIn.Milliseconds()})
		return
	}
	var msg string
	switch n.Kind {
	case relay.Connecting:
		msg = "connecting to " + n.Gateway
	case relay.Connected:
		msg = "connected; " + pending(n) + " pending"
	case relay.Backlog:
		msg = pending(n) + " pending"
	case relay.CaughtUp:
		msg = "caught up"
	case relay.Disconnected:
		msg = fmt.Sprintf("disconnected: %s; retrying in %s", n.Err, n.RetryIn.Round(100*time.Millisecond))
	}
	fmt.Fprintf(v.out, "%s  -- %s\n", n.At.Format(time.TimeOnly), msg)
}

func pending(n relay.Notice) string {
	if n.More {
		return fmt.Sprintf("over %d", n.Pending)
	}
	return strconv.Itoa(n.Pending)
}

// Handled prints one event, numbered for replay and show.
func (v *view) Handled(rec relay.Record) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seq++
	v.recs[v.seq] = rec
	delete(v.recs, v.seq-keptRecords)
	v.printRecord(v.seq, rec, 0)
}

// line is an event as --json prints it.
type line struct {
	Kind       string  `json:"kind"`
	N          int     `json:"n"`
	At         string  `json:"at"`
	EventID    string  `json:"event_id"`
	DeliveryID string  `json:"delivery_id"`
	Attempt    int     `json:"attempt"`
	Source     string  `json:"source"`
	Type       string  `json:"type,omitempty"`
	Status     int     `json:"status,omitempty"`
	LatencyMS  float64 `json:"latency_ms"`
	Error      string  `json:"error,omitempty"`
	Skipped    string  `json:"skipped,omitempty"`
	Repeat     bool    `json:"repeat,omitempty"`
	Replay     bool    `json:"replay,omitempty"`
	ReplayOf   int     `json:"replay_of,omitempty"`
}

// printRecord prints event n (v.mu held); of is the event it replays.
func (v *view) printRecord(n int, rec relay.Record, of int) {
	ev, r := rec.Event, rec.Report
	if v.json {
		v.writeJSON(line{
			Kind: "event", N: n, At: rec.At.Format(time.RFC3339Nano), EventID: ev.ID, DeliveryID: ev.DeliveryID,
			Attempt: ev.Attempt, Source: ev.Source, Type: ev.Type, Status: r.Status, LatencyMS: r.LatencyMS,
			Error: r.Error, Skipped: rec.Skipped, Repeat: rec.Repeat, Replay: rec.Replay, ReplayOf: of,
		})
		return
	}
	var outcome string
	switch {
	case rec.Skipped != "":
		outcome = "skip  " + rec.Skipped
	case r.Error != "":
		outcome = "ERR   " + r.Error
	default:
		outcome = fmt.Sprintf("%-5d %s", r.Status, fmtLatency(r.LatencyMS))
	}
	switch {
	case rec.Repeat:
		outcome += "  (sent again by the gateway; answered from the state, not forwarded twice)"
	case of > 0:
		outcome += fmt.Sprintf("  (replay of #%d)", of)
	case ev.Attempt > 1:
		outcome += fmt.Sprintf("  (attempt %d)", ev.Attempt)
	}
	typ := ev.Type
	if typ == "" {
		typ = "-"
	}
	fmt.Fprintf(v.out, "%s  #%-4d %-12s %-20s %s\n", rec.At.Format(time.TimeOnly), n, ev.Source, typ, outcome)
}

func fmtLatency(ms float64) string {
	if ms < 10 {
		return fmt.Sprintf("%.1fms", ms)
	}
	return fmt.Sprintf("%.0fms", ms)
}

func (v *view) writeJSON(x any) {
	b, err := json.Marshal(x)
	if err != nil {
		return
	}
	v.out.Write(append(b, '\n'))
}

func (v *view) printf(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintf(v.out, format, args...)
}

// record returns event n, if kept.
func (v *view) record(n int) (relay.Record, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	rec, ok := v.recs[n]
	return rec, ok
}

const listenHelp = "commands: r N  replay event N to the local app | s N  show its request and response | q  quit\n"

// commands reads commands from in until ctx is done or in ends.
func (v *view) commands(ctx context.Context, in io.Reader, r *relay.Relay, quit func()) {
	sc := bufio.NewScanner(in)
	for sc.Scan() && ctx.Err() == nil {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "q", "quit", "exit":
			quit()
			return
		case "h", "help", "?":
			v.printf(listenHelp)
		case "r", "replay", "s", "show":
			n, rec, ok := v.pick(f)
			if !ok {
				continue
			}
			if f[0][0] == 's' {
				v.printf("%s", show(n, rec))
				continue
			}
			again := r.Replay(ctx, rec.Event)
			v.mu.Lock()
			v.seq++
			v.recs[v.seq] = again
			delete(v.recs, v.seq-keptRecords)
			v.printRecord(v.seq, again, n)
			v.mu.Unlock()
		default:
			v.printf("unknown command %q; %s", f[0], listenHelp)
		}
	}
}

// pick reads the event number of a command.
func (v *view) pick(f []string) (int, relay.Record, bool) {
	if len(f) != 2 {
		v.printf("usage: %s N (the event's number, #N)\n", f[0])
		return 0, relay.Record{}, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(f[1], "#"))
	if err != nil {
		v.printf("not an event number: %q\n", f[1])
		return 0, relay.Record{}, false
	}
	rec, ok := v.record(n)
	if !ok {
		v.printf("no event #%d (the last %d are kept)\n", n, keptRecords)
		return 0, relay.Record{}, false
	}
	return n, rec, true
}

// show renders event n's request and response in full.
func show(n int, rec relay.Record) string {
	var b strings.Builder
	ev := rec.Event
	fmt.Fprintf(&b, "---- #%d  event %s  delivery %s  attempt %d\n", n, ev.ID, ev.DeliveryID, ev.Attempt)
	if x := rec.Exchange; x != nil {
		fmt.Fprintf(&b, "> %s %s\n", x.Method, x.URL)
		writeHeader(&b, "> ", x.Header)
		writeBody(&b, x.Body)
		switch {
		case x.Err != "":
			fmt.Fprintf(&b, "< no answer: %s\n", x.Err)
		default:
			fmt.Fprintf(&b, "< %d %s  (%s)\n", x.Status, http.StatusText(x.Status), x.Latency.Round(100*time.Microsecond))
			writeHeader(&b, "< ", x.RespHeader)
			writeBody(&b, x.RespBody)
		}
	} else {
		fmt.Fprintf(&b, "> %s (not forwarded", ev.Method)
		if rec.Skipped != "" {
			fmt.Fprintf(&b, ": skipped, %s", rec.Skipped)
		} else if rec.Repeat {
			b.WriteString(": answered from the state")
		}
		b.WriteString(")\n")
		writeHeader(&b, "> ", ev.Header)
		writeBody(&b, ev.Body)
		if r := rec.Report; rec.Repeat {
			fmt.Fprintf(&b, "< %d (as reported before)\n", r.Status)
			writeBody(&b, r.Body)
		}
	}
	b.WriteString("----\n")
	return b.String()
}

func writeHeader(b *strings.Builder, prefix string, h http.Header) {
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, k, v)
		}
	}
}

func writeBody(b *strings.Builder, body []byte) {
	switch {
	case len(body) == 0:
	case utf8.Valid(body):
		b.Write(body)
		if body[len(body)-1] != '\n' {
			b.WriteByte('\n')
		}
	default:
		fmt.Fprintf(b, "(%d bytes of binary)\n", len(body))
	}
}
