// Package e2e runs the built hookgate binary as a user would: real processes,
// real HTTP on 127.0.0.1, real SQLite files, real signals.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/gatewaytest"
	"github.com/hookgate/hookgate/internal/verify"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/hookgate once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hookgate-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath, buildErr = gatewaytest.Build(context.Background(), dir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// gateway is a running hookgate process.
type gateway struct {
	t      *testing.T
	p      *gatewaytest.Process
	addr   string // host:port it listens on
	stdout *gatewaytest.Buffer
	stderr *gatewaytest.Buffer
}

// writeConfig writes a config file into dir and returns its path.
func writeConfig(t *testing.T, dir, text string) string {
	t.Helper()
	p := filepath.Join(dir, "hookgate.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// start runs `hookgate serve --config cfg` and waits until it listens.
func start(t *testing.T, cfg string, env ...string) *gateway {
	t.Helper()
	p := gatewaytest.Start(t, binary(t), cfg, append(os.Environ(), env...))
	return &gateway{t: t, p: p, addr: p.Addr, stdout: p.Stdout, stderr: p.Stderr}
}

func (g *gateway) url(path string) string { return "http://" + g.addr + path }

// kill sends SIGKILL and waits.
func (g *gateway) kill() { g.p.Kill() }

// stop sends SIGTERM and waits for a clean exit.
func (g *gateway) stop() {
	g.t.Helper()
	if err := g.p.Stop(60 * time.Second); err != nil {
		g.t.Fatal(err)
	}
}

// signed builds a request signed as provider would sign it.
func signed(t *testing.T, provider, secret, target string, body []byte, header http.Header) *http.Request {
	t.Helper()
	o := verify.Options{Secrets: []string{secret}}
	if provider == "hmac" { // the e2e configs use the x-hmac sender
		o.HMAC = verify.HMACOptions{Header: "x-hmac", Algorithm: "sha256", Encoding: "hex"}
	}
	s, err := verify.NewSigner(provider, o)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	for k, v := range header {
		h[k] = v
	}
	vr := &verify.Request{Method: http.MethodPost, URL: u, Header: h, Body: body, Now: time.Now()}
	if err := s.Sign(vr); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = vr.Header
	return req
}

// sink is a real HTTP destination that records what it receives.
type sink struct {
	mu       sync.Mutex
	got      []received
	byID     map[string]int // event id -> times received
	failNext int            // answer 503 to this many requests first
	status   int            // answer this status when not failing (default 200)
	delay    time.Duration  // wait this long before answering
	srv      *http.Server
	url      string
}

type received struct {
	EventID string
	Header  http.Header
	Body    []byte
}

func newSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{byID: map[string]int{}, status: http.StatusOK}
	ln, err := listenLocal()
	if err != nil {
		t.Fatal(err)
	}
	s.url = "http://" + ln.Addr().String() + "/hooks"
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	time.Sleep(s.delay)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if s.failNext > 0 {
		s.failNext--
		s.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	id := r.Header.Get("Webhook-Id")
	s.got = append(s.got, received{EventID: id, Header: r.Header.Clone(), Body: body})
	s.byID[id]++
	status := s.status
	s.mu.Unlock()
	w.WriteHeader(status)
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

func (s *sink) snapshot() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// do sends req and returns status and body.
func do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// errorCode extracts error.code from a JSON error answer.
func errorCode(b []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) != nil {
		return "not-json: " + strings.TrimSpace(string(b))
	}
	return e.Error.Code
}

// decodeAccepted reads an acceptance answer and closes the body.
func decodeAccepted(resp *http.Response) (string, bool) {
	defer resp.Body.Close()
	var a struct{ ID, Status string }
	if json.NewDecoder(resp.Body).Decode(&a) != nil || resp.StatusCode != http.StatusOK || a.ID == "" {
		return "", false
	}
	return a.ID, true
}

func (s *sink) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[id] > 0
}
