// Package listen is the gateway's side of `hookgate listen`: listen
// destinations, whose deliveries go over an authenticated WebSocket stream
// to the `hookgate listen` processes connected to them (developers'
// machines), which forward each event to a local app and report its answer
// back as the attempt.
//
// The stream uses github.com/coder/websocket: a small, maintained,
// dependency-free WebSocket library built on net/http (context-aware
// reads and writes, ping/pong, concurrent writes), where the standard
// library has no WebSocket support and gorilla/websocket needs callers to
// serialise writes and run their own deadlines. WebSocket rather than SSE
// because reports travel back on the same connection: one long-lived
// request through ordinary HTTPS, with keepalive both ways.
//
// A Hub serves the stream of a gateway's listen destinations at
// GET /listen/{destination} (and GET /listen, where the token picks the
// destination). Each event goes to one connected listener (several
// listeners on one destination share its events); fan-out to several
// developers is one listen destination each. While no listener is
// connected, a destination is offline (Destination.Watch): the delivery
// worker holds its deliveries without spending attempts.
package listen

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Keepalive: each side pings the other every PingEvery and drops the
// connection when no pong comes within PingTimeout, so a peer that vanished
// (a laptop asleep, a network gone) is noticed within seconds.
const (
	PingEvery   = 5 * time.Second
	PingTimeout = 5 * time.Second
)

const (
	// statusEvery is how often the backlog is counted for a connected
	// listener (it is sent only when it changed); statusGap is the least
	// time between two counts (one is made soon after each report).
	statusEvery = time.Second
	statusGap   = 200 * time.Millisecond
	// maxReport caps a listener's message.
	maxReport = 1 << 20
)

// Backlog counts dest's pending deliveries, up to limit.
type Backlog func(ctx context.Context, dest string, limit int) (int, error)

// New returns a listen destination named name whose listeners authenticate
// with token. Serve it with a Hub.
func New(name, token string) *Destination {
	return &Destination{name: name, token: sha256.Sum256([]byte(token))}
}

// Hub serves the stream of a gateway's listen destinations at
// GET /listen/{destination} and GET /listen (where the token picks the
// destination). The listener authenticates with "Authorization: Bearer
// <token>"; a wrong token or an unknown destination is 401, the same answer
// for both. It is safe for concurrent use.
type Hub struct {
	log     *slog.Logger
	backlog Backlog

	mu    sync.Mutex
	dests []*Destination
}

// NewHub returns a Hub serving no destination yet (see Set). backlog, when
// not nil, tells listeners how many deliveries wait for them.
func NewHub(log *slog.Logger, backlog Backlog) *Hub {
	if log == nil {
		log = slog.Default()
	}
	return &Hub{log: log, backlog: backlog}
}

// Set makes ds the destinations h serves (a config reload calls it again);
// listeners connected to destinations left out stay connected until those
// are closed.
func (h *Hub) Set(ds ...*Destination) {
	h.mu.Lock()
	h.dests = ds
	h.mu.Unlock()
}

// find returns the destination named name (any, when name is empty) whose
// token is token, or nil. Every token is compared, in constant time.
func (h *Hub) find(name, token string) *Destination {
	sum := sha256.Sum256([]byte(token))
	h.mu.Lock()
	defer h.mu.Unlock()
	var found *Destination
	for _, d := range h.dests {
		ok := subtle.ConstantTimeCompare(sum[:], d.token[:]) == 1
		if ok && (name == "" || d.name == name) {
			found = d
		}
	}
	return found
}

// ServeHTTP serves one listener's stream until it disconnects.
func (s *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	d := s.find(r.PathValue("destination"), token)
	if !ok || token == "" || d == nil {
		s.log.Warn("listen: refused a listener", "destination", r.PathValue("destination"), "remote_addr", r.RemoteAddr)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintln(w, `{"error":{"code":"unauthorized","message":"unknown listen destination or wrong token"}}`)
		return
	}
	name := cmpOr(r.Header.Get("Hookgate-Listener"), r.RemoteAddr)
	p, err := accept(w, r, name)
	if err != nil {
		s.log.Warn("listen: websocket handshake failed", "destination", d.name, "remote_addr", r.RemoteAddr, "err", err)
		return
	}
	s.log.Info("listen: listener connected", "destination", d.name, "listener", name, "remote_addr", r.RemoteAddr)
	d.attach(p)
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	var wg sync.WaitGroup
	wg.Go(func() { p.keepalive(ctx) })
	if s.backlog != nil {
		wg.Go(func() { s.status(ctx, d, p) })
	}
	err = p.read(ctx)
	cancel()
	p.end(err)
	wg.Wait()
	d.detach(p)
	s.log.Info("listen: listener disconnected", "destination", d.name, "listener", name, "why", err)
}

// status sends d's backlog to p when it connects and whenever it changes.
func (s *Hub) status(ctx context.Context, d *Destination, p *peer) {
	last := -1
	t := time.NewTicker(statusEvery)
	defer t.Stop()
	for first := true; ; first = false {
		if !first {
			select { // at most one count per statusGap
			case <-ctx.Done():
				return
			case <-time.After(statusGap):
			}
		}
		n, err := s.backlog(ctx, d.name, MaxPending+1)
		if err != nil {
			s.log.Warn("listen: count pending deliveries", "destination", d.name, "err", err)
		} else if n != last {
			last = n
			st := &Status{Pending: min(n, MaxPending), More: n > MaxPending}
			if err := p.send(ctx, Down{Kind: KindStatus, Status: st}); err != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.reported:
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
