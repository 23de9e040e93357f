package ui

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/store/sqlite"
)

// Tokens the test UIs accept.
const (
	adminToken = "hgt_admin_0123456789"
	readToken  = "hgt_read_0123456789"
)

func testAuth(token string) (name, scope string, ok bool) {
	switch token {
	case adminToken:
		return "ops", ScopeAdmin, true
	case readToken:
		return "viewer", ScopeRead, true
	}
	return "", "", false
}

// testUI is a UI over a real SQLite store, served by an httptest server.
type testUI struct {
	ui    *UI
	store *sqlite.Store
	srv   *httptest.Server
	woken atomic.Int32 // Notify calls
}

// newTestUI starts a UI over a fresh SQLite store. change, if not nil,
// adjusts the Deps before New.
func newTestUI(t *testing.T, change func(*Deps)) *testUI {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ui.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	tu := &testUI{store: st}
	d := Deps{
		Store:        st,
		Authenticate: testAuth,
		Destinations: []string{"app", "audit"},
		Sources:      []string{"github"},
		Notify:       func() { tu.woken.Add(1) },
		Logger:       slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
	if change != nil {
		change(&d)
	}
	tu.ui, err = New(d)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tu.srv = httptest.NewServer(tu.ui)
	t.Cleanup(tu.srv.Close)
	return tu
}

// ingest stores an event from source github with one delivery per
// destination, and returns it.
func (tu *testUI) ingest(t *testing.T, body string, header http.Header, dests ...string) *event.Event {
	t.Helper()
	ev := &event.Event{
		ID: event.NewID(), Source: "github", Method: http.MethodPost, Query: "a=1&token=s3cr3t",
		Header: header, Body: []byte(body), ReceivedAt: time.Now().UTC(), Type: "push",
	}
	var routes []store.Route
	for _, d := range dests {
		routes = append(routes, store.Route{Destination: d})
	}
	if _, err := tu.store.Ingest(t.Context(), ev, routes); err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	return ev
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see each answer.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (tu *testUI) browser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *tu.srv.Client() // a copy: each browser has its own jar
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, base: tu.srv.URL, c: &c}
}

// answer is a response with its body read.
type answer struct {
	*http.Response
	body string
}

func (b *browser) do(req *http.Request) answer {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatalf("read %s: %v", req.URL, err)
	}
	return answer{res, string(body)}
}

func (b *browser) get(path string) answer {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodGet, b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) answer {
	b.t.Helper()
	return b.postWith(path, form, nil)
}

func (b *browser) postWith(path string, form url.Values, header http.Header) answer {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range header {
		req.Header[k] = vs
	}
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the first CSRF token in a page.
func (b *browser) csrf(page string) string {
	b.t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no csrf token in the page:\n%s", page)
	}
	return m[1]
}

// login signs in with token through the login form and returns the feed
// page's CSRF token.
func (b *browser) login(token string) string {
	b.t.Helper()
	page := b.get("/ui/login")
	res := b.post("/ui/login", url.Values{"csrf": {b.csrf(page.body)}, "token": {token}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/ui/" {
		b.t.Fatalf("login: %d %q, want 303 to /ui/\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	feed := b.get("/ui/")
	if feed.StatusCode != http.StatusOK {
		b.t.Fatalf("GET /ui/ after login: %d", feed.StatusCode)
	}
	return b.csrf(feed.body)
}

// deliveriesOf lists an event's deliveries.
func deliveriesOf(ctx context.Context, t *testing.T, st *sqlite.Store, eventID string) []event.Delivery {
	t.Helper()
	ds, err := st.Deliveries(ctx, store.DeliveryFilter{EventID: eventID})
	if err != nil {
		t.Fatalf("Deliveries: %v", err)
	}
	return ds
}
