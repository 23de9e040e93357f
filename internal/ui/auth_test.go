package ui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
)

func TestPagesNeedASession(t *testing.T) {
	t.Parallel()
	tu := newTestUI(t, nil)
	ev := tu.ingest(t, `{}`, nil, "app")
	b := tu.browser(t)
	for _, path := range []string{"/ui/", "/ui/health", "/ui/events/" + ev.ID} {
		res := b.get(path)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/ui/login" {
			t.Errorf("GET %s without a session: %d to %q, want 303 to /ui/login", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	// The script's requests get 401, so it can send the browser to login.
	for _, path := range []string{"/ui/feed.json", "/ui/events/" + ev.ID + "/deliveries"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, b.base+path, nil)
		req.Header.Set("X-Hookgate-UI", "1")
		if res := b.do(req); res.StatusCode != http.StatusUnauthorized || strings.Contains(res.body, ev.ID) {
			t.Errorf("script GET %s without a session: %d, want 401 and no data", path, res.StatusCode)
		}
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	tu := newTestUI(t, nil)
	b := tu.browser(t)

	page := b.get("/ui/login")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("GET /ui/login: %d", page.StatusCode)
	}
	csrf := b.csrf(page.body)

	// A wrong token: 401, the form again, no session.
	res := b.post("/ui/login", url.Values{"csrf": {csrf}, "token": {"nope"}})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.body, "That token is not valid.") {
		t.Errorf("login with a wrong token: %d, want 401 and the problem shown", res.StatusCode)
	}
	if c := cookieNamed(res.Cookies(), sessionCookie); c != nil {
		t.Errorf("login with a wrong token set a session cookie %v", c)
	}

	// The right token without the form's CSRF token: 403.
	res = b.post("/ui/login", url.Values{"token": {adminToken}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("login without csrf: %d, want 403", res.StatusCode)
	}

	// The right token with the form's token: a session cookie.
	page = b.get("/ui/login")
	res = b.post("/ui/login", url.Values{"csrf": {b.csrf(page.body)}, "token": {adminToken}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/ui/" {
		t.Fatalf("login: %d to %q, want 303 to /ui/", res.StatusCode, res.Header.Get("Location"))
	}
	c := cookieNamed(res.Cookies(), sessionCookie)
	if c == nil {
		t.Fatal("login set no session cookie")
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/ui" {
		t.Errorf("session cookie over plain HTTP: HttpOnly %v SameSite %v Secure %v Path %q; want true, Strict, false, /ui", c.HttpOnly, c.SameSite, c.Secure, c.Path)
	}
	if ttl := time.Until(c.Expires); ttl < 11*time.Hour || ttl > 12*time.Hour+time.Minute {
		t.Errorf("session cookie expires in %s, want 12h", ttl)
	}
	if strings.Contains(c.Value, adminToken) {
		t.Errorf("session cookie %q holds the token", c.Value)
	}
	feed := b.get("/ui/")
	if feed.StatusCode != http.StatusOK || !strings.Contains(feed.body, "ops") {
		t.Errorf("GET /ui/ signed in: %d, want 200 naming the user", feed.StatusCode)
	}
	// Signed in, the login page sends people on.
	if res := b.get("/ui/login"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /ui/login signed in: %d, want 303", res.StatusCode)
	}
}

func TestSecureCookieOverTLS(t *testing.T) {
	t.Parallel()
	tu := newTestUI(t, nil)
	srv := httptest.NewTLSServer(tu.ui)
	t.Cleanup(srv.Close)
	b := tu.browser(t)
	b.base, b.c.Transport = srv.URL, srv.Client().Transport
	page := b.get("/ui/login")
	if c := cookieNamed(page.Cookies(), loginCookie); c == nil || !c.Secure {
		t.Errorf("login cookie over TLS: %v, want Secure", c)
	}
	res := b.post("/ui/login", url.Values{"csrf": {b.csrf(page.body)}, "token": {readToken}})
	if c := cookieNamed(res.Cookies(), sessionCookie); c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie over TLS: %+v, want Secure, HttpOnly, SameSite=Strict", c)
	}
}

func TestLogoutRevokesTheCookie(t *testing.T) {
	t.Parallel()
	tu := newTestUI(t, nil)
	b := tu.browser(t)
	csrf := b.login(readToken)
	u, _ := url.Parse(b.base + "/ui/")
	old := cookieNamed(b.c.Jar.Cookies(u), sessionCookie)

	res := b.post("/ui/logout", url.Values{"csrf": {csrf}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/ui/login" {
		t.Fatalf("logout: %d to %q, want 303 to /ui/login", res.StatusCode, res.Header.Get("Location"))
	}
	if res := b.get("/ui/"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /ui/ after logout: %d, want 303 to login", res.StatusCode)
	}
	// The old cookie, kept by someone, no longer works either.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, b.base+"/ui/", nil)
	req.AddCookie(old)
	replayed, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	replayed.Body.Close()
	if replayed.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /ui/ with the logged-out cookie: %d, want 303", replayed.StatusCode)
	}
}

func TestSessionCookieChecks(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := newSessions([]byte("0123456789abcdef0123456789abcdef"), time.Hour, false, clock)
	other := newSessions([]byte("another key, another process...."), time.Hour, false, clock)

	rec := httptest.NewRecorder()
	want := s.start(rec, httptest.NewRequest(http.MethodPost, "/ui/login", nil), "ops", ScopeAdmin)
	good := cookieNamed(rec.Result().Cookies(), sessionCookie).Value
	payload, sig, _ := strings.Cut(good, ".")

	forged := func(p session) string {
		rec := httptest.NewRecorder()
		other.start(rec, httptest.NewRequest(http.MethodPost, "/", nil), p.Name, p.Scope)
		return cookieNamed(rec.Result().Cookies(), sessionCookie).Value
	}
	tests := []struct {
		name  string
		value string
		after time.Duration
		ok    bool
	}{
		{"good", good, 0, true},
		{"good until it expires", good, 59 * time.Minute, true},
		{"expired", good, time.Hour, false},
		{"signed by another process", forged(want), 0, false},
		{"payload changed", b64.EncodeToString([]byte(`{"id":"x","name":"ops","scope":"admin","exp":9999999999}`)) + "." + sig, 0, false},
		{"signature cut", payload + "." + sig[:10], 0, false},
		{"no signature", payload, 0, false},
		{"empty", "", 0, false},
		{"login cookie as a session", s.seal("login", []byte(`{"id":"x","scope":"admin","exp":9999999999}`)), 0, false},
		{"unknown scope", s.seal("session", []byte(`{"id":"x","name":"a","scope":"root","exp":9999999999}`)), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss := newSessions(s.key, s.ttl, false, func() time.Time { return now.Add(tt.after) })
			got, ok := ss.parse(tt.value)
			if ok != tt.ok {
				t.Fatalf("parse(%q) ok = %v, want %v", tt.value, ok, tt.ok)
			}
			if ok && got != want {
				t.Errorf("parse = %+v, want %+v", got, want)
			}
		})
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	tu := newTestUI(t, nil)
	ev := tu.ingest(t, `{"a":1}`, nil, "app")
	admin := tu.browser(t)
	csrf := admin.login(adminToken)
	otherCSRF := tu.browser(t).login(adminToken)

	tests := []struct {
		name   string
		form   url.Values
		header http.Header
		want   int
	}{
		{"no token", url.Values{}, nil, http.StatusForbidden},
		{"empty token", url.Values{"csrf": {""}}, nil, http.StatusForbidden},
		{"garbage", url.Values{"csrf": {"not-base64!"}}, nil, http.StatusForbidden},
		{"another session's token", url.Values{"csrf": {otherCSRF}}, nil, http.StatusForbidden},
		{"token one character off", url.Values{"csrf": {flipFirst(csrf)}}, nil, http.StatusForbidden},
		{"token in the query, not the form", url.Values{}, nil, http.StatusForbidden},
		{"right token from another site", url.Values{"csrf": {csrf}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"right token, foreign Origin", url.Values{"csrf": {csrf}}, http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
		{"right token", url.Values{"csrf": {csrf}}, http.Header{"Sec-Fetch-Site": {"same-origin"}}, http.StatusSeeOther},
	}
	for _, tt := range tests {
		path := "/ui/events/" + ev.ID + "/replay"
		if tt.name == "token in the query, not the form" {
			path += "?csrf=" + url.QueryEscape(csrf)
		}
		before := len(deliveriesOf(t.Context(), t, tu.store, ev.ID))
		res := admin.postWith(path, tt.form, tt.header)
		if res.StatusCode != tt.want {
			t.Errorf("%s: POST replay: %d, want %d", tt.name, res.StatusCode, tt.want)
		}
		after := len(deliveriesOf(t.Context(), t, tu.store, ev.ID))
		if created := after - before; (tt.want == http.StatusSeeOther) != (created == 1) {
			t.Errorf("%s: replay created %d deliveries (status %d)", tt.name, created, res.StatusCode)
		}
	}
	// Logout is a form too.
	if res := admin.post("/ui/logout", url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Errorf("logout without csrf: %d, want 403", res.StatusCode)
	}
}

func TestReadScopeCannotPress(t *testing.T) {
	t.Parallel()
	tu := newTestUI(t, nil)
	ev := tu.ingest(t, `{"a":1}`, nil, "app")
	d := deliveriesOf(t.Context(), t, tu.store, ev.ID)[0]
	reader := tu.browser(t)
	csrf := reader.login(readToken)

	page := reader.get("/ui/events/" + ev.ID)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("read scope GET event page: %d", page.StatusCode)
	}
	if strings.Contains(page.body, `id="replay"`) {
		t.Error("read scope sees the replay button")
	}
	for _, path := range []string{"/ui/events/" + ev.ID + "/replay", "/ui/deliveries/" + d.ID + "/retry"} {
		res := reader.post(path, url.Values{"csrf": {csrf}})
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "admin scope") {
			t.Errorf("read scope POST %s: %d, want 403 naming admin scope", path, res.StatusCode)
		}
	}
	if n := len(deliveriesOf(t.Context(), t, tu.store, ev.ID)); n != 1 {
		t.Errorf("read scope's replay left %d deliveries, want 1", n)
	}

	admin := tu.browser(t)
	csrf = admin.login(adminToken)
	if !strings.Contains(admin.get("/ui/events/"+ev.ID).body, `id="replay"`) {
		t.Error("admin scope does not see the replay button")
	}
	res := admin.post("/ui/events/"+ev.ID+"/replay", url.Values{"csrf": {csrf}, "destination": {"audit"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/ui/events/"+ev.ID+"?replayed=1" {
		t.Fatalf("admin replay: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	ds := deliveriesOf(t.Context(), t, tu.store, ev.ID)
	if len(ds) != 2 || ds[0].Destination != "audit" || ds[0].State != event.Pending {
		t.Errorf("after replay to audit: %+v, want a new pending delivery to audit", ds)
	}
	if tu.woken.Load() != 1 {
		t.Errorf("replay woke the workers %d times, want 1", tu.woken.Load())
	}
	// A destination that is neither configured nor the event's: refused.
	res = admin.post("/ui/events/"+ev.ID+"/replay", url.Values{"csrf": {csrf}, "destination": {"elsewhere"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("replay to an unknown destination: %d, want 400", res.StatusCode)
	}
	// Retry needs a dead delivery.
	res = admin.post("/ui/deliveries/"+d.ID+"/retry", url.Values{"csrf": {csrf}})
	if res.StatusCode != http.StatusConflict {
		t.Errorf("retry of a pending delivery: %d, want 409", res.StatusCode)
	}
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	t.Parallel()
	tu := newTestUI(t, nil)
	ev := tu.ingest(t, `{}`, nil, "app")
	b := tu.browser(t)
	anon := []answer{b.get("/ui/login"), b.get("/ui/"), b.get("/ui/static/ui.js"), b.get("/ui/nowhere"), b.post("/ui/login", nil)}
	b.login(adminToken)
	paths := []string{"/ui/", "/ui/health", "/ui/feed.json", "/ui/events/" + ev.ID, "/ui/events/" + ev.ID + "/deliveries", "/ui/events/nope", "/ui/static/ui.css", "/ui/static/nope.js"}
	all := anon
	for _, p := range paths {
		all = append(all, b.get(p))
	}
	for _, res := range all {
		h := res.Header
		if got := h.Get("Content-Security-Policy"); got != csp {
			t.Errorf("%s %s: CSP %q, want %q", res.Request.Method, res.Request.URL.Path, got, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s %s: X-Content-Type-Options %q, Referrer-Policy %q", res.Request.Method, res.Request.URL.Path, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
		}
	}
	// No inline script or style in any page.
	for _, res := range all {
		if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			for _, bad := range []string{"<script>", "<style", " style=", "onclick=", "onload=", "javascript:"} {
				if strings.Contains(res.body, bad) {
					t.Errorf("%s has inline %q", res.Request.URL.Path, bad)
				}
			}
		}
	}
}

func TestEventNotFound(t *testing.T) {
	t.Parallel()
	tu := newTestUI(t, nil)
	b := tu.browser(t)
	csrf := b.login(adminToken)
	if res := b.get("/ui/events/" + event.NewID()); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET unknown event: %d, want 404", res.StatusCode)
	}
	if res := b.post("/ui/events/"+event.NewID()+"/replay", url.Values{"csrf": {csrf}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("replay unknown event: %d, want 404", res.StatusCode)
	}
	if res := b.post("/ui/deliveries/"+event.NewID()+"/retry", url.Values{"csrf": {csrf}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("retry unknown delivery: %d, want 404", res.StatusCode)
	}
}

func cookieNamed(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// flipFirst changes a token's first character.
func flipFirst(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}
