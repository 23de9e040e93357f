// Package relay is the developer's side of `hookgate listen`: it connects
// to a gateway's listen destination over WebSocket
// (github.com/coder/websocket, like the gateway's side in internal/listen),
// forwards each event it receives to a local URL with the original method,
// headers and body, and reports the local app's answer back, which the
// gateway records as the attempt. It reconnects with backoff whenever the
// stream breaks; the gateway keeps every delivery not reported, so nothing
// is missed while the laptop sleeps or the network is gone, and an attempt
// sent again after a break is answered from the State instead of reaching
// the app twice.
package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/hookgate/hookgate/internal/listen"
)

// Defaults for Config.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultMinBackoff = 500 * time.Millisecond
	DefaultMaxBackoff = 10 * time.Second
)

const (
	// maxEvent caps one message from the gateway.
	maxEvent = 64 << 20
	// margin is how much sooner than the gateway's deadline a forward must
	// end, for the report to arrive in time.
	margin = 500 * time.Millisecond
	// reportTimeout bounds sending one report.
	reportTimeout = 10 * time.Second
)

// ErrRefused is returned by Run when the gateway refuses the token or the
// destination: retrying would not help.
var ErrRefused = errors.New("the gateway refused the listener")

// Observer is told what happens, for the terminal. Its methods are called
// from several goroutines, and must not block for long.
type Observer interface {
	// Notice reports a change of the connection.
	Notice(Notice)
	// Handled reports one event handled: forwarded, skipped or answered
	// from the state.
	Handled(Record)
}

// NoticeKind is what a Notice is about.
type NoticeKind string

// Kinds of notices.
const (
	Connecting   NoticeKind = "connecting"
	Connected    NoticeKind = "connected"
	Disconnected NoticeKind = "disconnected"
	Backlog      NoticeKind = "pending"
	CaughtUp     NoticeKind = "caught_up"
)

// Notice is a change of the connection.
type Notice struct {
	Kind NoticeKind `json:"kind"`
	At   time.Time  `json:"at"`
	// Gateway is the stream's URL (Connecting).
	Gateway string `json:"gateway,omitempty"`
	// Err says why the stream broke, RetryIn when it is tried again
	// (Disconnected).
	Err     string        `json:"error,omitempty"`
	RetryIn time.Duration `json:"-"`
	// Pending counts the deliveries waiting (Connected, Backlog); More is
	// set when there are more than listen.MaxPending.
	Pending int  `json:"pending,omitempty"`
	More    bool `json:"more,omitempty"`
}

// Record is one event handled.
type Record struct {
	At    time.Time     `json:"at"`
	Event *listen.Event `json:"-"`
	// Exchange is the request to the local app and its answer; nil when
	// the event was skipped or answered from the state.
	Exchange *Exchange `json:"-"`
	// Report is what the gateway was told.
	Report listen.Report `json:"-"`
	// Skipped says why the filter skipped the event.
	Skipped string `json:"skipped,omitempty"`
	// Repeat is set when the attempt was answered from the state: it had
	// been forwarded before, and its report lost.
	Repeat bool `json:"repeat,omitempty"`
	// Replay is set for a replay by hand (Relay.Replay): not reported.
	Replay bool `json:"replay,omitempty"`
}

// Config is a Relay's settings.
type Config struct {
	// Gateway is the gateway's base URL (http or https). Required.
	Gateway string
	// Token authenticates to the listen destination. Required.
	Token string
	// Destination names the listen destination; empty lets the token pick.
	Destination string
	// To is the local URL events are forwarded to. Required.
	To string
	// Name identifies this listener in the gateway's logs.
	Name string
	// Filter skips events; nil forwards all.
	Filter *Filter
	// State remembers the attempts handled. Required.
	State *State
	// Observer is told what happens. Required.
	Observer Observer
	// Timeout bounds one forward (shortened to fit the gateway's own).
	// Default 30s.
	Timeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between reconnects, which
	// doubles from MinBackoff after each failed one. Defaults 0.5s and 10s.
	MinBackoff, MaxBackoff time.Duration
	// Client forwards to the local app. Default: one without a timeout of
	// its own, which ignores proxy settings (the app is local).
	Client *http.Client
	// Logger gets debug detail. Default slog.Default().
	Logger *slog.Logger
}

// Relay connects to a gateway and forwards its events. Run it once.
type Relay struct {
	cfg    Config
	stream string // the stream's ws(s) URL
	work   sync.WaitGroup
}

// New checks cfg and returns a Relay.
func New(cfg Config) (*Relay, error) {
	if cfg.Token == "" || cfg.To == "" || cfg.State == nil || cfg.Observer == nil {
		return nil, errors.New("relay: token, local URL, state and observer are required")
	}
	u, err := url.Parse(cfg.Gateway)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--gateway: want an http or https URL such as https://hooks.example.com, got %q", cfg.Gateway)
	}
	if to, err := url.Parse(cfg.To); err != nil || (to.Scheme != "http" && to.Scheme != "https") || to.Host == "" {
		return nil, fmt.Errorf("--to: want an http or https URL such as http://localhost:3000/webhooks, got %q", cfg.To)
	}
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	u.Path = strings.TrimSuffix(u.Path, "/") + "/listen"
	if cfg.Destination != "" {
		u.Path += "/" + url.PathEscape(cfg.Destination)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Relay{cfg: cfg, stream: u.String()}, nil
}

// Run connects, forwards and reconnects until ctx is done (then it returns
// nil, once the forwards in progress have ended) or the gateway refuses the
// listener (ErrRefused).
func (r *Relay) Run(ctx context.Context) error {
	defer r.work.Wait()
	wait := r.cfg.MinBackoff
	for {
		r.cfg.Observer.Notice(Notice{Kind: Connecting, At: time.Now(), Gateway: r.stream})
		connected, err := r.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrRefused) {
			return err
		}
		if connected {
			wait = r.cfg.MinBackoff
		}
		d := jitter(wait)
		r.cfg.Observer.Notice(Notice{Kind: Disconnected, At: time.Now(), Err: err.Error(), RetryIn: d})
		wait = min(2*wait, r.cfg.MaxBackoff)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// jitter spreads d by ±20%, so that listeners do not reconnect in step.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// session runs one connection until it breaks, and says why and whether it
// was established.
func (r *Relay) session(ctx context.Context) (bool, error) {
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	conn, resp, err := websocket.Dial(dctx, r.stream, &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + r.cfg.Token}, "Hookgate-Listener": {r.cfg.Name}},
	})
	cancel()
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			return false, fmt.Errorf("%w: unknown listen destination or wrong token (%s)", ErrRefused, resp.Status)
		}
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return false, fmt.Errorf("%w: the gateway has no listen destination (404)", ErrRefused)
		}
		return false, fmt.Errorf("connect: %w", unwrapDial(err))
	}
	conn.SetReadLimit(maxEvent)
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	var broke sync.Once
	var why error
	end := func(err error) {
		broke.Do(func() {
			why = err
			conn.CloseNow()
			stop()
		})
	}
	go keepalive(sctx, conn, end)
	first := true
	for {
		_, b, err := conn.Read(sctx)
		if err != nil {
			end(readError(ctx, err))
			return true, why
		}
		var m listen.Down
		if err := json.Unmarshal(b, &m); err != nil {
			end(fmt.Errorf("the gateway sent something unreadable: %v", err))
			return true, why
		}
		switch {
		case m.Kind == listen.KindStatus && m.Status != nil:
			r.status(*m.Status, first)
			first = false
		case m.Kind == listen.KindEvent && m.Event != nil:
			r.work.Add(1)
			go func() {
				defer r.work.Done()
				r.handle(ctx, conn, m.Event, end)
			}()
		}
	}
}

// status turns the gateway's backlog into notices: the first after
// connecting, then whether the listener caught up.
func (r *Relay) status(st listen.Status, first bool) {
	n := Notice{At: time.Now(), Pending: st.Pending, More: st.More}
	switch {
	case first:
		n.Kind = Connected
	case st.Pending == 0:
		n.Kind = CaughtUp
	default:
		n.Kind = Backlog
	}
	r.cfg.Observer.Notice(n)
	if first && st.Pending == 0 {
		r.cfg.Observer.Notice(Notice{Kind: CaughtUp, At: n.At})
	}
}

// handle answers one event: from the state when it is an attempt handled
// before, as skipped when the filter says so, else by forwarding it. The
// state is written before the report is sent. ctx is Run's, not the
// session's: a forward in progress finishes even if the stream breaks.
func (r *Relay) handle(ctx context.Context, conn *websocket.Conn, ev *listen.Event, end func(error)) {
	rec := Record{At: time.Now(), Event: ev}
	if e, ok := r.cfg.State.Lookup(ev.DeliveryID, ev.Attempt); ok {
		rec.Report, rec.Repeat, rec.Skipped = e.Report, true, e.Report.Skipped
	} else if why := r.cfg.Filter.Skip(ev); why != "" {
		rec.Skipped = why
		rec.Report = listen.Report{DeliveryID: ev.DeliveryID, Attempt: ev.Attempt, Skipped: why}
	} else {
		x, err := request(r.cfg.To, ev)
		if err != nil {
			rec.Report = listen.Report{DeliveryID: ev.DeliveryID, Attempt: ev.Attempt, Error: err.Error()}
		} else {
			send(ctx, r.cfg.Client, x, r.timeout(ev))
			rec.Exchange, rec.Report = x, x.Report(ev)
		}
	}
	if !rec.Repeat {
		if err := r.cfg.State.Save(Entry{EventID: ev.ID, At: rec.At, Report: rec.Report}); err != nil {
			r.cfg.Logger.Error("listen: remember the attempt; a redelivery would be forwarded again", "err", err)
		}
	}
	r.cfg.Observer.Handled(rec)
	b, err := json.Marshal(rec.Report)
	if err != nil {
		r.cfg.Logger.Error("listen: encode report", "err", err)
		return
	}
	wctx, cancel := context.WithTimeout(ctx, reportTimeout)
	defer cancel()
	if err := conn.Write(wctx, websocket.MessageText, b); err != nil && ctx.Err() == nil {
		end(fmt.Errorf("send report: %w", err))
	}
}

// timeout is how long a forward of ev may take: Config.Timeout, cut to end
// before the gateway stops waiting.
func (r *Relay) timeout(ev *listen.Event) time.Duration {
	t := r.cfg.Timeout
	if ev.TimeoutMS > 0 {
		g := time.Duration(ev.TimeoutMS)*time.Millisecond - margin
		t = min(t, max(g, time.Second))
	}
	return t
}

// Replay forwards a handled event to the local app again, as a new
// exchange, without telling the gateway.
func (r *Relay) Replay(ctx context.Context, ev *listen.Event) Record {
	rec := Record{At: time.Now(), Event: ev, Replay: true}
	x, err := request(r.cfg.To, ev)
	if err != nil {
		rec.Report.Error = err.Error()
		return rec
	}
	send(ctx, r.cfg.Client, x, r.cfg.Timeout)
	rec.Exchange, rec.Report = x, x.Report(ev)
	return rec
}

// keepalive pings the gateway and ends the session when a pong does not
// come within listen.PingTimeout.
func keepalive(ctx context.Context, conn *websocket.Conn, end func(error)) {
	t := time.NewTicker(listen.PingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, listen.PingTimeout)
		err := conn.Ping(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			end(fmt.Errorf("the gateway stopped answering pings (no pong within %s)", listen.PingTimeout))
			return
		}
	}
}

// readError says why reading the stream failed.
func readError(ctx context.Context, err error) error {
	switch s := websocket.CloseStatus(err); s {
	case -1:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("connection lost: %w", err)
	case websocket.StatusGoingAway:
		return errors.New("the gateway is shutting down")
	default:
		return fmt.Errorf("the gateway closed the stream (%d)", s)
	}
}

// unwrapDial shortens a dial error.
func unwrapDial(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
