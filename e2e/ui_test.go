package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestUIServed checks that serve mounts the web UI (internal/ui, tested in
// a browser there) when API tokens are configured, and leaves it out when
// none is: nobody could log in.
func TestUIServed(t *testing.T) {
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(t *testing.T, url string) *http.Response {
		t.Helper()
		res, err := noRedirect.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	t.Run("with tokens", func(t *testing.T) {
		dir := t.TempDir()
		g := start(t, writeConfig(t, dir, `
listen: "127.0.0.1:0"
storage: { driver: sqlite, path: `+dir+`/hookgate.db }
api:
  tokens: [ { name: ops, token: "ui-e2e-admin-token-4Kx9", scope: admin } ]
sources: [ { name: github, provider: github, secret: s3cret } ]
`))
		if res := get(t, g.url("/ui/")); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/ui/login" {
			t.Fatalf("GET /ui/ without a session: %d to %q, want 303 to /ui/login", res.StatusCode, res.Header.Get("Location"))
		}
		res := get(t, g.url("/ui/login"))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET /ui/login: %d", res.StatusCode)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("login page CSP %q", csp)
		}
	})
	t.Run("without tokens", func(t *testing.T) {
		dir := t.TempDir()
		g := start(t, writeConfig(t, dir, `
listen: "127.0.0.1:0"
storage: { driver: sqlite, path: `+dir+`/hookgate.db }
sources: [ { name: github, provider: github, secret: s3cret } ]
`))
		if res := get(t, g.url("/ui/login")); res.StatusCode != http.StatusNotFound {
			t.Fatalf("GET /ui/login with no token configured: %d, want 404", res.StatusCode)
		}
	})
}
