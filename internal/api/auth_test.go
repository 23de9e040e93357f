package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/internal/api"
	"github.com/hookgate/hookgate/internal/api/apitest"
	"github.com/hookgate/hookgate/internal/apitoken"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/reply"
)

// concrete fills a route's wildcards.
func concrete(path string) string {
	return strings.NewReplacer("{id}", event.NewID(), "{name}", "a").Replace(path)
}

// Every route refuses a request without a token or with an unknown one
// (401 with a Bearer challenge), admin routes refuse a read token (403),
// and each route lets its scope through.
func TestAuthEveryRoute(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Sources: []string{"gh"}, Destinations: []string{"a"}})
	anon := newClient(t, s, "")
	wrong := newClient(t, s, "not-a-token-0123456789")
	read := newClient(t, s, apitest.ReadToken)
	admin := newClient(t, s, apitest.AdminToken)
	for _, rt := range api.Routes() {
		path := concrete(rt.Path)
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			for _, c := range []struct {
				who    string
				client client
				code   string
			}{{"no token", anon, "unauthorized"}, {"unknown token", wrong, "invalid_token"}} {
				status, h, b := c.client.call(rt.Method, path, nil)
				if status != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer ") || errCode(t, b) != c.code {
					t.Errorf("%s: %d %q %s, want 401 with a Bearer challenge and code %s", c.who, status, h.Get("WWW-Authenticate"), b, c.code)
				}
			}
			status, h, b := read.call(rt.Method, path, nil)
			switch rt.Scope {
			case apitoken.Admin:
				if status != http.StatusForbidden || errCode(t, b) != "forbidden" || !strings.Contains(h.Get("WWW-Authenticate"), "insufficient_scope") {
					t.Errorf("read token on an admin route: %d %s, want 403", status, b)
				}
			case apitoken.Read:
				if status == http.StatusUnauthorized || status == http.StatusForbidden {
					t.Errorf("read token on a read route: %d %s", status, b)
				}
			default:
				t.Errorf("route without a scope")
			}
			if rt.Method != http.MethodGet && rt.Scope != apitoken.Admin {
				t.Errorf("%s route open to read tokens", rt.Method)
			}
			if status, _, b := admin.call(rt.Method, path, nil); status == http.StatusUnauthorized || status == http.StatusForbidden {
				t.Errorf("admin token: %d %s", status, b)
			}
		})
	}
	// A malformed Authorization header is a 401 too, saying why.
	req, _ := http.NewRequest("GET", s.URL+api.Prefix+"/stats", nil)
	req.Header.Set("Authorization", "Basic "+apitest.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_request") {
		t.Errorf("Basic credentials: %d %q, want 401 invalid_request", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

func errCode(t *testing.T, b []byte) string {
	t.Helper()
	var e reply.ErrorBody
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("not a JSON error: %s", b)
	}
	return e.Error.Code
}

// Without tokens the API is off: 404 saying how to turn it on, whatever
// the token.
func TestAPIOff(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{NoTokens: true})
	for _, path := range []string{"/stats", "/events", "/nowhere"} {
		newClient(t, s, apitest.AdminToken).fails("GET", path, nil, http.StatusNotFound, "add a token under api.tokens")
	}
}

// Unknown paths are 404 and known paths with another method 405, in JSON.
func TestNotFoundAndMethod(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{})
	c := newClient(t, s, apitest.AdminToken)
	c.fails("GET", "/nowhere", nil, http.StatusNotFound, "no such endpoint")
	status, h, b := c.call("DELETE", "/events/"+event.NewID(), nil)
	if status != http.StatusMethodNotAllowed || h.Get("Allow") != "GET" || errCode(t, b) != "method_not_allowed" {
		t.Errorf("DELETE /events/{id}: %d Allow %q %s, want 405 Allow GET", status, h.Get("Allow"), b)
	}
	if status, _, _ := c.call("GET", "/dead/retry", nil); status != http.StatusMethodNotAllowed {
		t.Errorf("GET /dead/retry: %d, want 405", status)
	}
}
