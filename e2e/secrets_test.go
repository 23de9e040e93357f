package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// Every kind of secret the config holds, each long and distinct so that a
// hit in the logs cannot be chance.
var logSecrets = map[string]string{
	"github secret":         "gh-log-secret-7Qm2ZrVx9Kd4",
	"github rotated secret": "gh-log-rotated-4Tn8WcLp2Hs6",
	"hmac secret":           "hmac-log-secret-5Jx1BvQe8Nf3",
	"standardwebhooks":      "whsec_c3dzZWNyZXQtbG9nLXRlc3Qtc3dlZXAtMjAyNg==",
	"basic password":        "basic-log-password-3Kd9VmXq1Lp7",
	"bearer token":          "bearer-log-token-8Rw2NcYh5Zt1",
	"api key":               "apikey-log-key-6Pf4HsJx2Qm9",
	"jwt secret":            "jwt-log-secret-1Gv7TkWn4Bc8",
	"destination secret":    "whsec_ZGVzdC1zZWNyZXQtbG9nLXRlc3QtMjAyNg==",
	"destination header":    "dest-header-token-9Lb3XqFz6Wd2",
	"url password":          "url-password-2Hn6MvKc8Tr4",
	"url query token":       "url-query-token-5Yq1DsGp7Jk3",
	"s3 secret key":         "s3-secret-access-key-4Wm8ZtRb1Nx6",
	"s3 session token":      "s3-session-token-7Cp2KfVh9Qs5",
	"api admin token":       "api-admin-token-3Fx7LqWd2Mz8Rk",
	"api read token":        "api-read-token-6Jb1NtHc5Ys9Pv",
	// Wrong credentials presented by callers: not configured, but logging
	// them would log someone's (mistyped) secret all the same.
	"presented password": "presented-wrong-password-8Kq3Zm",
	"presented token":    "presented-wrong-token-2Vx6Lp4Ns",
}

// secretForms are the ways s could show up: as is, base64 (standard and
// URL), hex, and for whsec_ secrets the key after the prefix and its bytes
// in hex.
func secretForms(s string) []string {
	forms := []string{s,
		base64.StdEncoding.EncodeToString([]byte(s)),
		base64.RawURLEncoding.EncodeToString([]byte(s)),
		hex.EncodeToString([]byte(s)),
	}
	if k, ok := strings.CutPrefix(s, "whsec_"); ok {
		forms = append(forms, k)
		if b, err := base64.StdEncoding.DecodeString(k); err == nil {
			forms = append(forms, hex.EncodeToString(b), string(b))
		}
	}
	return forms
}

// hs256 makes a JWT signed with secret that expires in 10 minutes.
func hs256(secret string) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims := enc.EncodeToString(fmt.Appendf(nil, `{"sub":"e2e","exp":%d}`, time.Now().Add(10*time.Minute).Unix()))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(head + "." + claims))
	return head + "." + claims + "." + enc.EncodeToString(mac.Sum(nil))
}

// closedAddr is a 127.0.0.1 address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// A full config with every kind of secret runs, at log level debug, through
// accepted, refused, delivered, failed and dead paths and the management
// API's refusals; no secret appears in stdout or stderr, in any form.
func TestSecretsNotLogged(t *testing.T) {
	t.Parallel()
	s := logSecrets
	dir := t.TempDir()
	app := newSink(t)
	down := &counting{failStatus: http.StatusInternalServerError}
	down.fails.Store(1 << 40)
	closed := closedAddr(t)
	cfg := fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
log: { level: debug }
delivery: { poll: 20ms }
api:
  tokens:
    - { name: ops, token: %q, scope: admin }
    - { name: viewer, token: %q }
sources:
  - { name: github, provider: github, secret: %q, secrets: [%q] }
  - { name: orders, provider: hmac, secret: %q, hmac: { header: x-hmac } }
  - { name: sw, provider: standardwebhooks, secret: %q }
  - { name: basic, auth: { basic: { username: hook, password: %q } } }
  - { name: bearer, auth: { bearer: { tokens: [%q] } } }
  - { name: apikey, auth: { api_key: { header: x-api-key, keys: [%q] } } }
  - { name: jwt, auth: { jwt: { algorithms: [HS256], secret: %q } } }
destinations:
  - name: app
    url: %q
    secret: %q
    headers: { Authorization: "Bearer %s" }
    retry: { max_attempts: 2, initial: 10ms, max: 20ms }
  - name: down
    url: %q
    secret: %q
    headers: { Authorization: "Bearer %s" }
    retry: { max_attempts: 2, initial: 10ms, max: 20ms }
  - name: refused
    url: "http://hook:%s@%s/in?token=%s"
    retry: { max_attempts: 2, initial: 10ms, max: 20ms }
  - name: bucket
    type: s3
    s3: { bucket: hooks, endpoint: "http://%s", region: us-east-1, path_style: true, access_key_id: AKIAE2ETEST, secret_access_key: %q, session_token: %q }
    retry: { max_attempts: 2, initial: 10ms, max: 20ms }
routes:
  - { from: [github, orders, sw, basic, bearer, apikey, jwt], to: [app] }
  - { from: [orders], to: [down, refused, bucket] }
`, filepath.Join(dir, "hookgate.db"),
		s["api admin token"], s["api read token"],
		s["github secret"], s["github rotated secret"], s["hmac secret"], s["standardwebhooks"],
		s["basic password"], s["bearer token"], s["api key"], s["jwt secret"],
		app.url, s["destination secret"], s["destination header"],
		serveLocal(t, down), s["destination secret"], s["destination header"],
		s["url password"], closed, s["url query token"],
		closed, s["s3 secret key"], s["s3 session token"])
	g := start(t, writeConfig(t, dir, cfg))

	body := []byte(`{"id":"evt_1","type":"order.created"}`)
	withHeader := func(source string, h http.Header) *http.Request {
		req := mustReq(t, http.MethodPost, g.url("/in/"+source), body)
		req.Header = h
		return req
	}
	basic := func(password string) http.Header {
		return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("hook:"+password))}}
	}
	var delivered []string
	for _, c := range []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"github", signed(t, "github", s["github secret"], g.url("/in/github"), body, http.Header{"X-Github-Delivery": {"log-1"}}), 200},
		{"github rotated", signed(t, "github", s["github rotated secret"], g.url("/in/github"), body, http.Header{"X-Github-Delivery": {"log-2"}}), 200},
		{"github wrong secret", signed(t, "github", s["presented password"], g.url("/in/github"), body, nil), 401},
		{"orders", signed(t, "hmac", s["hmac secret"], g.url("/in/orders"), body, nil), 200},
		{"orders wrong secret", signed(t, "hmac", s["presented token"], g.url("/in/orders"), body, nil), 401},
		{"sw", signed(t, "standardwebhooks", s["standardwebhooks"], g.url("/in/sw"), body, nil), 200},
		{"basic", withHeader("basic", basic(s["basic password"])), 200},
		{"basic wrong password", withHeader("basic", basic(s["presented password"])), 401},
		{"bearer", withHeader("bearer", http.Header{"Authorization": {"Bearer " + s["bearer token"]}}), 200},
		{"bearer wrong token", withHeader("bearer", http.Header{"Authorization": {"Bearer " + s["presented token"]}}), 401},
		{"api key", withHeader("apikey", http.Header{"X-Api-Key": {s["api key"]}}), 200},
		{"api key wrong", withHeader("apikey", http.Header{"X-Api-Key": {s["presented token"]}}), 401},
		{"jwt", withHeader("jwt", http.Header{"Authorization": {"Bearer " + hs256(s["jwt secret"])}}), 200},
		{"jwt wrong secret", withHeader("jwt", http.Header{"Authorization": {"Bearer " + hs256(s["presented password"])}}), 401},
	} {
		status, b := do(t, c.req)
		if status != c.status {
			t.Errorf("%s: status %d %s, want %d", c.name, status, b, c.status)
		}
		var a struct{ ID string }
		if status == 200 && json.Unmarshal(b, &a) == nil {
			delivered = append(delivered, a.ID)
		}
	}

	t.Run("management API tokens", func(t *testing.T) {
		for _, c := range []struct {
			name, method, path, auth string
			status                   int
			code                     string
		}{
			{"no token", "GET", "/api/v1/events", "", 401, "unauthorized"},
			{"not a bearer", "GET", "/api/v1/events", "Basic " + base64.StdEncoding.EncodeToString([]byte("ops:"+s["presented token"])), 401, "unauthorized"},
			{"wrong token", "GET", "/api/v1/events", "Bearer " + s["presented token"], 401, "invalid_token"},
			{"read token on an admin action", "POST", "/api/v1/dead/retry", "Bearer " + s["api read token"], 403, "forbidden"},
			{"read token", "GET", "/api/v1/events", "Bearer " + s["api read token"], 200, ""},
		} {
			req := mustReq(t, c.method, g.url(c.path), nil)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			status, b := do(t, req)
			if status != c.status || (c.code != "" && errorCode(b) != c.code) {
				t.Errorf("%s: %s %s got %d %s, want %d %s", c.name, c.method, c.path, status, b, c.status, c.code)
			}
		}
	})

	// Delivered to app; failed, then dead, at down, refused and bucket.
	waitFor(t, 15*time.Second, "deliveries at app", func() bool { return app.count() >= len(delivered) })
	st := openStore(t, filepath.Join(dir, "hookgate.db"))
	waitFor(t, 15*time.Second, "3 dead deliveries (down, refused, bucket)", func() bool {
		ds, err := st.Deliveries(context.Background(), store.DeliveryFilter{State: event.Dead})
		return err == nil && len(ds) == 3
	})
	g.stop()

	logs := g.stdout.String() + g.stderr.String()
	if !strings.Contains(logs, `"level":"DEBUG"`) {
		t.Fatalf("no debug lines in the log: the test must run at level debug\n%s", logs)
	}
	for _, want := range []string{"refused", "accepted", "api: unknown token"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log has no %q line: the path was not exercised", want)
		}
	}
	for name, secret := range s {
		for _, form := range secretForms(secret) {
			if i := strings.Index(logs, form); i >= 0 {
				t.Errorf("the %s appears in the logs (as %.12q...): %s", name, form, excerpt(logs, i))
			}
		}
	}
	t.Logf("%d log bytes searched for %d secrets in %d forms each", len(logs), len(s), len(secretForms(s["standardwebhooks"])))
}

// excerpt is the log line around i.
func excerpt(s string, i int) string {
	start := strings.LastIndexByte(s[:i], '\n') + 1
	end := strings.IndexByte(s[i:], '\n')
	if end < 0 {
		end = len(s) - i
	}
	return s[start : i+end]
}
