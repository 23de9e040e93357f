package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/api"
	"github.com/hookgate/hookgate/internal/api/apitest"
	"github.com/hookgate/hookgate/internal/reply"
)

// client calls a test Server's API with one token.
type client struct {
	t     *testing.T
	base  string
	token string
}

func newClient(t *testing.T, s *apitest.Server, token string) client {
	return client{t: t, base: s.URL + api.Prefix, token: token}
}

// call sends method path (under /api/v1) with body (JSON unless a string)
// and returns the status, headers and body.
func (c client) call(method, path string, body any) (int, http.Header, []byte) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// do is call that wants status want and decodes the answer into out.
func (c client) do(method, path string, body any, want int, out any) {
	c.t.Helper()
	status, _, b := c.call(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// fails is call that wants an error answer with status and a message
// containing part.
func (c client) fails(method, path string, body any, status int, part string) {
	c.t.Helper()
	got, _, b := c.call(method, path, body)
	var e reply.ErrorBody
	if err := json.Unmarshal(b, &e); err != nil {
		c.t.Fatalf("%s %s: not a JSON error: %s", method, path, b)
	}
	if got != status || !strings.Contains(e.Error.Message, part) {
		c.t.Errorf("%s %s: %d %q, want %d with %q", method, path, got, e.Error.Message, status, part)
	}
}

// waitFor polls cond for up to 20s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
