package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/config"
)

// newPolicy builds a Policy from c, failing the test on error.
func newPolicy(t *testing.T, c *config.Auth, o Options) *Policy {
	t.Helper()
	p, err := New(c, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// request returns a POST from remote (host:port) with headers given as
// name, value pairs; a name may repeat.
func request(remote string, kv ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/in/queue", nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(kv); i += 2 {
		r.Header.Add(kv[i], kv[i+1])
	}
	return r
}

// checkResult compares err with the want status and reason; status 0 means
// err must be nil.
func checkResult(t *testing.T, err error, status int, reason string) {
	t.Helper()
	if status == 0 {
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		return
	}
	var f *Failure
	if !errors.As(err, &f) {
		t.Fatalf("got %v, want a *Failure", err)
	}
	if f.Status != status || f.Reason != reason {
		t.Fatalf("got %d %q, want %d %q", f.Status, f.Reason, status, reason)
	}
}

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_700_000_000, 0)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// countCompares makes every secret set of p count its comparisons in n.
func countCompares(p *Policy, n *int) {
	count := func(s *secrets) {
		inner := s.compare
		s.compare = func(a, b []byte) int { *n++; return inner(a, b) }
	}
	for _, m := range p.methods {
		switch m := m.(type) {
		case *basic:
			count(m.user)
			count(m.password)
		case *token:
			count(m.accepted)
		}
	}
}
