package queue

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
)

// Variables that name the test servers (scripts/queue-test-servers.sh
// starts them and prints these).
const (
	envAMQP       = "HOOKGATE_TEST_AMQP_URL"
	envRedis      = "HOOKGATE_TEST_REDIS_ADDR"
	envBeanstalkd = "HOOKGATE_TEST_BEANSTALKD_ADDR"
	envNATS       = "HOOKGATE_TEST_NATS_URL"
	envSQS        = "HOOKGATE_TEST_SQS_ENDPOINT"
)

// server returns the value of the variable env, or skips t (fails it under
// CI=true, where the suite must not pass by skipping).
func server(t testing.TB, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		msg := env + " is not set: no server to test against (run ./test.sh, or eval \"$(scripts/queue-test-servers.sh start)\")"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return v
}

// hostPort returns the host:port in v, a URL or a bare host:port.
func hostPort(t testing.TB, v string) string {
	t.Helper()
	if !strings.Contains(v, "://") {
		return v
	}
	u, err := url.Parse(v)
	if err != nil {
		t.Fatalf("parse %q: %v", v, err)
	}
	return u.Host
}

// withHostPort returns v (a URL or a bare host:port) pointing at addr.
func withHostPort(t testing.TB, v, addr string) string {
	t.Helper()
	if !strings.Contains(v, "://") {
		return addr
	}
	u, err := url.Parse(v)
	if err != nil {
		t.Fatalf("parse %q: %v", v, err)
	}
	u.Host = addr
	return u.String()
}

// testEvent returns an event with a fresh id, so tests that share a server
// never see each other's messages as their own.
func testEvent(body []byte) *event.Event {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return &event.Event{
		ID:         event.NewID(),
		Source:     "github",
		Method:     http.MethodPost,
		Header:     h,
		Body:       body,
		ReceivedAt: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
		Type:       "push",
	}
}

func testDelivery(ev *event.Event) event.Delivery {
	return event.Delivery{ID: event.NewID(), EventID: ev.ID, Destination: "queue", Attempts: 2}
}

// wantHeaders is the metadata a message for ev and d carries, with the
// configured header X-Team: core.
func wantHeaders(ev *event.Event, d event.Delivery) map[string]string {
	return map[string]string{
		"X-Team":               "core",
		"Content-Type":         ev.ContentType(),
		"Webhook-Id":           ev.ID,
		"Hookgate-Source":      ev.Source,
		"Hookgate-Event-Type":  ev.Type,
		"Hookgate-Delivery-Id": d.ID,
		"Hookgate-Attempt":     "3",
	}
}

// binaryBody is every byte value, then some JSON: a body that any
// re-encoding would change.
func binaryBody() []byte {
	b := make([]byte, 0, 300)
	for i := range 256 {
		b = append(b, byte(i))
	}
	return append(b, `{"ref":"refs/heads/main","é":"\u00e9"}`...)
}

func uniqueName(prefix string) string {
	return prefix + strings.ReplaceAll(event.NewID(), "-", "")[16:]
}

func attemptCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// proxy forwards TCP connections to a server, and can play its outage:
// Down cuts every connection and refuses new ones (it accepts and closes
// them at once, as a crashed broker's host would), Up lets them through
// again. The port stays the same throughout.
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.Down()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) Addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			c.Close()
			continue
		}
		p.wg.Add(1)
		go p.pipe(c)
	}
}

// track records c, unless the proxy is down.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	p.conns[c] = true
	return true
}

func (p *proxy) pipe(c net.Conn) {
	defer p.wg.Done()
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	if !p.track(s) {
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(s, c); done <- struct{}{} }()
	go func() { io.Copy(c, s); done <- struct{}{} }()
	<-done
	c.Close()
	s.Close()
	<-done
}

// Down cuts every connection and refuses new ones until Up.
func (p *proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Up lets connections through again.
func (p *proxy) Up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}
