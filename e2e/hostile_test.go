package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/verify"
)

// Secrets of the hostile-input gateway.
const (
	hostileHMAC   = "hostile-hmac-secret"
	hostileGitHub = "hostile-github-secret"
	hostileSW     = "whsec_aG9zdGlsZS1zdGFuZGFyZC13ZWJob29rcw=="
	hostileStripe = "whsec_hostile_stripe_secret"
)

// hostileConfig is a gateway with short server timeouts and a small header
// limit, four sources (generic HMAC with a 64 KiB body limit, GitHub,
// Standard Webhooks, Stripe) all routed to app, and orders also routed to
// picky through a filter on a body field.
func hostileConfig(db, appURL, pickyURL string) string {
	return fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
server: { read_header_timeout: 1s, read_timeout: 2s, idle_timeout: 2s, max_header_bytes: 16KiB }
delivery: { poll: 50ms }
sources:
  - { name: orders, provider: hmac, secret: %q, max_body: 64KiB, hmac: { header: x-hmac } }
  - { name: github, provider: github, secret: %q }
  - { name: sw, provider: standardwebhooks, secret: %q }
  - { name: stripe, provider: stripe, secret: %q }
destinations:
  - { name: app, url: %q, timeout: 2s, retry: { max_attempts: 3, initial: 50ms, max: 200ms } }
  - { name: picky, url: %q, timeout: 2s, retry: { max_attempts: 3, initial: 50ms, max: 200ms } }
routes:
  - { from: [orders, github, sw, stripe], to: [app] }
  - { from: [orders], to: [picky], filter: 'body.kind == "wanted"' }
`, db, hostileHMAC, hostileGitHub, hostileSW, hostileStripe, appURL, pickyURL)
}

// signAt signs like signed, with the clock at now and, for provider "hmac",
// the orders source's scheme.
func signAt(t *testing.T, provider, secret, target string, body []byte, header http.Header, now time.Time) *http.Request {
	t.Helper()
	o := verify.Options{Secrets: []string{secret}}
	if provider == "hmac" {
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
	vr := &verify.Request{Method: http.MethodPost, URL: u, Header: h, Body: body, Now: now}
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

// ledger is what the test expects the store to hold: every acknowledged
// event's body by id.
type ledger map[string][]byte

// accept sends req, requires a fresh acceptance and records the body.
func (l ledger) accept(t *testing.T, req *http.Request, body []byte) string {
	t.Helper()
	id, st := accepted(t, req)
	if st != "accepted" {
		t.Fatalf("status %q, want accepted", st)
	}
	l[id] = body
	return id
}

// checkStored opens the database at path (the gateway may be running) and
// checks that it holds exactly the ledger's events, each body byte for byte.
func checkStored(t *testing.T, path string, want ledger) {
	t.Helper()
	st := openStore(t, path)
	defer st.Close()
	ctx := context.Background()
	counter, ok := st.(interface {
		CountEvents(context.Context, store.EventFilter) (int, error)
	})
	if !ok {
		t.Fatalf("%T cannot count events", st)
	}
	n, err := counter.CountEvents(ctx, store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Errorf("store holds %d events, want %d", n, len(want))
	}
	for id, body := range want {
		ev, err := st.Event(ctx, id)
		if err != nil {
			t.Errorf("event %s: %v", id, err)
			continue
		}
		if !bytes.Equal(ev.Body, body) {
			t.Errorf("event %s: stored body %.40q, want %.40q", id, ev.Body, body)
		}
	}
}

// rawExchange writes raw on a new connection to addr and reads one
// response. A write error (the server closed early) is ignored when a
// response can still be read.
func rawExchange(t *testing.T, addr string, raw []byte) (*http.Response, []byte) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, werr := c.Write(raw)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read response (write error: %v): %v", werr, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// closedAfter reads from c until the server closes it (or limit passes) and
// returns how long that took and what was read.
func closedAfter(c net.Conn, start time.Time, limit time.Duration) (time.Duration, []byte, error) {
	_ = c.SetReadDeadline(start.Add(limit))
	got, err := io.ReadAll(c)
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return time.Since(start), got, fmt.Errorf("still open after %v", limit)
	}
	return time.Since(start), got, nil // EOF or reset: closed by the server
}

func TestHostileInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "hookgate.db")
	app, picky := newSink(t), newSink(t)
	g := start(t, writeConfig(t, dir, hostileConfig(db, app.url, picky.url)))
	want := ledger{}
	now := time.Now

	// Events before the hostile inputs; they must stay readable throughout.
	for i := range 3 {
		body := fmt.Appendf(nil, `{"kind":"wanted","n":%d}`, i)
		want.accept(t, signed(t, "hmac", hostileHMAC, g.url("/in/orders"), body, nil), body)
	}
	waitFor(t, 10*time.Second, "the first events at picky", func() bool { return picky.count() == 3 })

	t.Run("slowloris", func(t *testing.T) {
		c, err := net.Dial("tcp", g.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		if _, err := io.WriteString(c, "POST /in/orders HTTP/1.1\r\nHost: x\r\n"); err != nil {
			t.Fatal(err)
		}
		// Trickle a header line every 200ms, well past read_header_timeout.
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
				if _, err := fmt.Fprintf(c, "X-Slow-%d: a\r\n", i); err != nil {
					return
				}
			}
		}()
		took, got, err := closedAfter(c, start, 10*time.Second)
		if err != nil {
			t.Fatalf("slowloris connection: %v", err)
		}
		// Go's server closes a connection whose headers time out without a
		// response (there is no request to answer).
		if took < 900*time.Millisecond || took > 4*time.Second {
			t.Errorf("closed %v after the first byte, want about read_header_timeout (1s)", took)
		}
		if len(got) != 0 {
			t.Errorf("got %q before the close, want nothing", got)
		}
		t.Logf("slowloris connection closed after %v", took.Round(time.Millisecond))
	})

	t.Run("slow body", func(t *testing.T) {
		body := []byte(`{"kind":"wanted","slow":true}`)
		req := signed(t, "hmac", hostileHMAC, g.url("/in/orders"), body, nil)
		c, err := net.Dial("tcp", g.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		head := fmt.Sprintf("POST /in/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Hmac: %s\r\nContent-Length: %d\r\n\r\n",
			req.Header.Get("X-Hmac"), len(body))
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		defer close(stop)
		go func() { // one byte every 300ms: the body would take ~9s
			for _, b := range body {
				select {
				case <-stop:
					return
				case <-time.After(300 * time.Millisecond):
				}
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
			}
		}()
		took, got, err := closedAfter(c, start, 15*time.Second)
		if err != nil {
			t.Fatalf("slow body connection: %v", err)
		}
		if took < 1900*time.Millisecond || took > 5*time.Second {
			t.Errorf("closed %v after the first byte, want about read_timeout (2s)", took)
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil)
		if err != nil {
			t.Fatalf("no response before the close: %q (%v)", got, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestTimeout || errorCode(b) != "body_timeout" {
			t.Errorf("slow body: got %d %s, want 408 body_timeout", resp.StatusCode, b)
		}
		t.Logf("slow body answered %d and closed after %v", resp.StatusCode, took.Round(time.Millisecond))
	})

	t.Run("gzip bomb", func(t *testing.T) {
		bomb := gzipped(t, 60<<20)    // 60 MiB of zeros, ~60 KiB compressed: under the limit
		tooBig := gzipped(t, 200<<20) // ~200 KiB compressed: over the limit
		before := peakRSS(t, g)
		hdr := http.Header{"Content-Encoding": {"gzip"}}
		id := want.accept(t, signed(t, "hmac", hostileHMAC, g.url("/in/orders"), bomb, hdr), bomb)
		status, b := do(t, signed(t, "hmac", hostileHMAC, g.url("/in/orders"), tooBig, hdr))
		if status != http.StatusRequestEntityTooLarge || errorCode(b) != "body_too_large" {
			t.Errorf("gzip body of %d raw bytes: got %d %s, want 413 body_too_large", len(tooBig), status, b)
		}
		bad := signed(t, "hmac", "not-the-secret", g.url("/in/orders"), bomb, hdr)
		if status, b := do(t, bad); status != http.StatusUnauthorized || errorCode(b) != "signature_invalid" {
			t.Errorf("gzip body with a bad signature: got %d %s, want 401 signature_invalid", status, b)
		}
		waitFor(t, 10*time.Second, "the gzip body at app", func() bool { return app.has(id) })
		for _, r := range app.snapshot() {
			if r.EventID != id {
				continue
			}
			if !bytes.Equal(r.Body, bomb) {
				t.Errorf("app got %d bytes, want the %d compressed bytes as sent", len(r.Body), len(bomb))
			}
			if ce := r.Header.Get("Content-Encoding"); ce != "gzip" {
				t.Errorf("forwarded Content-Encoding %q, want gzip (the body is forwarded compressed)", ce)
			}
		}
		after := peakRSS(t, g)
		t.Logf("gzip bomb: %d bytes inflating to 60 MiB accepted raw; gateway peak RSS %d -> %d KiB", len(bomb), before, after)
		if after-before > 30<<10 {
			t.Errorf("peak RSS grew by %d KiB: the body was inflated?", after-before)
		}
	})

	t.Run("malformed JSON and invalid UTF-8", func(t *testing.T) {
		bodies := [][]byte{
			[]byte(`{"kind":"wanted"`),
			[]byte(`{"kind":"wanted",}`),
			[]byte("\xff\xfe{\"kind\":\"wanted\"}"),
			[]byte("{\"kind\":\"wanted\",\"x\":\"\xff\"}"),
			[]byte(`{"kind":"\ud800wanted"}`),
			[]byte(`[{"kind":"wanted"}]`),
			[]byte(`null`),
			[]byte(``),
			bytes.Repeat([]byte("["), 60<<10), // deeper than any JSON decoder's limit
			{0, 1, 2, 3, '{', '}'},
		}
		picky0 := picky.count()
		var ids []string
		for _, body := range bodies {
			ids = append(ids, want.accept(t, signed(t, "hmac", hostileHMAC, g.url("/in/orders"), body, nil), body))
		}
		// A well-formed control event that the filter takes, sent last.
		control := []byte(`{"kind":"wanted","control":true}`)
		cid := want.accept(t, signed(t, "hmac", hostileHMAC, g.url("/in/orders"), control, nil), control)
		waitFor(t, 10*time.Second, "the control event at picky", func() bool { return picky.has(cid) })
		waitFor(t, 10*time.Second, "every malformed body at app", func() bool {
			for _, id := range ids {
				if !app.has(id) {
					return false
				}
			}
			return true
		})
		if n := picky.count() - picky0; n != 1 {
			t.Errorf("picky got %d events, want only the control one: the filter matched a malformed body", n)
		}
		got := map[string][]byte{}
		for _, r := range app.snapshot() {
			got[r.EventID] = r.Body
		}
		for i, id := range ids {
			if !bytes.Equal(got[id], bodies[i]) {
				t.Errorf("body %d: app got %.40q, want %.40q", i, got[id], bodies[i])
			}
		}
		if strings.Contains(g.stderr.String(), "panic") {
			t.Errorf("the gateway logged a panic:\n%s", g.stderr.String())
		}
	})

	t.Run("header floods", func(t *testing.T) {
		var many strings.Builder
		for i := range 2000 { // ~40 KiB of headers against 16 KiB
			fmt.Fprintf(&many, "X-Flood-%04d: v\r\n", i)
		}
		huge := "X-Huge: " + strings.Repeat("a", 40<<10) + "\r\n"
		for name, headers := range map[string]string{"2000 headers": many.String(), "one 40 KiB header": huge} {
			raw := "POST /in/orders HTTP/1.1\r\nHost: x\r\n" + headers + "Content-Length: 2\r\n\r\n{}"
			resp, b := rawExchange(t, g.addr, []byte(raw))
			// net/http answers this itself, before any handler, in text.
			if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || !strings.Contains(string(b), "Request Header Fields Too Large") {
				t.Errorf("%s: got %d %q, want 431", name, resp.StatusCode, b)
			}
		}
		// Under the limit, many headers are accepted and stored as sent.
		h := http.Header{}
		for i := range 200 {
			h.Set(fmt.Sprintf("X-Many-%03d", i), strconv.Itoa(i))
		}
		body := []byte(`{"kind":"many headers"}`)
		id := want.accept(t, signed(t, "hmac", hostileHMAC, g.url("/in/orders"), body, h), body)
		st := openStore(t, db)
		ev, err := st.Event(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		if got := ev.Header.Get("X-Many-199"); got != "199" {
			t.Errorf("stored header X-Many-199 = %q, want 199", got)
		}
	})

	t.Run("duplicated signature headers", func(t *testing.T) {
		body := []byte(`{"ref":"refs/heads/main"}`)
		good := signed(t, "github", hostileGitHub, g.url("/in/github"), body,
			http.Header{"X-Github-Event": {"push"}, "X-Github-Delivery": {"dup-1"}})
		sig := good.Header.Get("X-Hub-Signature-256")
		hmacGood := signed(t, "hmac", hostileHMAC, g.url("/in/orders"), body, nil).Header.Get("X-Hmac")
		for _, c := range []struct {
			name, source, header string
			values               []string
		}{
			{"github, both valid", "github", "X-Hub-Signature-256", []string{sig, sig}},
			{"github, valid first", "github", "X-Hub-Signature-256", []string{sig, "sha256=" + strings.Repeat("0", 64)}},
			{"github, valid last", "github", "X-Hub-Signature-256", []string{"sha256=" + strings.Repeat("0", 64), sig}},
			{"hmac, valid first", "orders", "X-Hmac", []string{hmacGood, strings.Repeat("0", 64)}},
		} {
			req := mustReq(t, http.MethodPost, g.url("/in/"+c.source), body)
			req.Header = good.Header.Clone()
			req.Header[c.header] = c.values
			status, b := do(t, req)
			if status != http.StatusUnauthorized || errorCode(b) != "signature_invalid" || !strings.Contains(string(b), "multiple") {
				t.Errorf("%s: got %d %s, want 401 signature_invalid naming the multiple headers", c.name, status, b)
			}
		}
		// Standard Webhooks: a second, stale timestamp beside the signed one.
		sw := signed(t, "standardwebhooks", hostileSW, g.url("/in/sw"), body, nil)
		sw.Header["Webhook-Timestamp"] = append(sw.Header["Webhook-Timestamp"], strconv.FormatInt(now().Add(-time.Hour).Unix(), 10))
		if status, b := do(t, sw); status != http.StatusUnauthorized {
			t.Errorf("standardwebhooks with two timestamps: got %d %s, want 401", status, b)
		}
	})

	t.Run("replay", func(t *testing.T) {
		body := []byte(`{"type":"invoice.paid","n":"replay"}`)
		req := signed(t, "standardwebhooks", hostileSW, g.url("/in/sw"), body, nil)
		replay := req.Clone(context.Background())
		replay.Body = io.NopCloser(bytes.NewReader(body))
		id := want.accept(t, req, body)
		waitFor(t, 10*time.Second, "the original at app", func() bool { return app.has(id) })
		rid, st := accepted(t, replay)
		if rid != id || st != "duplicate" {
			t.Errorf("replay: got (%s, %s), want (%s, duplicate)", rid, st, id)
		}
		time.Sleep(500 * time.Millisecond) // time for a wrong redelivery to show
		n := 0
		for _, r := range app.snapshot() {
			if r.EventID == id {
				n++
			}
		}
		if n != 1 {
			t.Errorf("the replayed event reached app %d times, want 1", n)
		}
	})

	t.Run("stale timestamps", func(t *testing.T) {
		body := []byte(`{"id":"evt_stale","type":"charge.succeeded"}`)
		for _, c := range []struct {
			provider, secret, source string
			at                       time.Duration
		}{
			{"standardwebhooks", hostileSW, "sw", -10 * time.Minute},
			{"standardwebhooks", hostileSW, "sw", 10 * time.Minute},
			{"stripe", hostileStripe, "stripe", -10 * time.Minute},
			{"stripe", hostileStripe, "stripe", 10 * time.Minute},
		} {
			req := signAt(t, c.provider, c.secret, g.url("/in/"+c.source), body, nil, now().Add(c.at))
			status, b := do(t, req)
			if status != http.StatusUnauthorized || errorCode(b) != "signature_invalid" || !strings.Contains(string(b), "timestamp") {
				t.Errorf("%s signed %v from now: got %d %s, want 401 naming the timestamp", c.provider, c.at, status, b)
			}
		}
		// The same body signed now is accepted: the refusals were for time.
		want.accept(t, signAt(t, "stripe", hostileStripe, g.url("/in/stripe"), body, nil, now()), body)
	})

	t.Run("path traversal", func(t *testing.T) {
		canary := "CANARY-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		if err := os.WriteFile(filepath.Join(dir, "canary.txt"), []byte(canary), 0o600); err != nil {
			t.Fatal(err)
		}
		trace := traceFiles(t, g)
		paths := []string{
			"/in/..%2f..",
			"/in/%2e%2e",
			"/in/%2E%2E%2Fcanary.txt",
			"/in/..%2fcanary.txt",
			"/in/orders%2f..%2f..%2fetc%2fpasswd",
			"/in/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
			"/in/..%5c..%5ccanary.txt",
			"/in/orders%00",
			"/in/.%2e/hookgate.db",
			"/in/..",
			"/in/../canary.txt",
		}
		for _, p := range paths {
			raw := "POST " + p + " HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
			resp, b := rawExchange(t, g.addr, []byte(raw))
			if resp.StatusCode == http.StatusTemporaryRedirect {
				// Literal dot segments: net/http's router redirects to the
				// cleaned path, which is outside /in/; follow it once.
				loc := resp.Header.Get("Location")
				if strings.HasPrefix(loc, "/in/") || strings.Contains(loc, "..") {
					t.Errorf("POST %s: redirected to %q, want a cleaned path outside /in/", p, loc)
					continue
				}
				raw = "POST " + loc + " HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
				resp, b = rawExchange(t, g.addr, []byte(raw))
			}
			code := errorCode(b)
			if resp.StatusCode != http.StatusNotFound || (code != "unknown_source" && code != "not_found") {
				t.Errorf("POST %s: got %d %s, want 404 with a JSON error", p, resp.StatusCode, b)
			}
			if strings.Contains(string(b), canary) || strings.Contains(string(b), "root:") {
				t.Errorf("POST %s: the answer holds a file's contents: %s", p, b)
			}
		}
		if opened := trace(); len(opened) > 0 {
			t.Errorf("the gateway touched files while serving the traversal attempts:\n%s", strings.Join(opened, "\n"))
		}
	})

	// Everything acknowledged, and only that, is stored, byte for byte.
	checkStored(t, db, want)
	waitFor(t, 10*time.Second, "every event at app", func() bool {
		for id := range want {
			if !app.has(id) {
				return false
			}
		}
		return true
	})
	g.stop()
	checkStored(t, db, want)
	st := openStore(t, db)
	rej, err := st.Rejections(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	// 4 duplicated headers + 1 two timestamps + 4 stale + 1 gzip bad signature + 1 gzip too big.
	if len(rej) < 11 {
		t.Errorf("%d refusals recorded, want at least 11", len(rej))
	}
}

// gzipped returns n zero bytes, gzip-compressed.
func gzipped(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, 1<<20)
	for range n >> 20 {
		if _, err := zw.Write(zero); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// peakRSS is the gateway process's peak resident set (VmHWM), in KiB.
func peakRSS(t *testing.T, g *gateway) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", g.p.Cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no VmHWM in /proc/pid/status")
	return 0
}

// traceFiles attaches strace to the gateway and returns a function that
// detaches it and lists the file-name system calls (open, stat, ...) the
// gateway made in between. Without strace it fails under CI=true and
// otherwise logs that the check was not made.
func traceFiles(t *testing.T, g *gateway) func() []string {
	t.Helper()
	bin, err := exec.LookPath("strace")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("strace is required under CI=true to check that no file is opened")
		}
		t.Log("strace not found: the check that no file is opened is not made (apt-get install strace)")
		return func() []string { return nil }
	}
	out := filepath.Join(t.TempDir(), "strace.out")
	var stderr bytes.Buffer
	pid := g.p.Cmd.Process.Pid
	cmd := exec.Command(bin, "-f", "-qq", "-e", "trace=%file", "-o", out, "-p", strconv.Itoa(pid))
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "strace to attach to every thread of the gateway", func() bool { return traced(pid) })
	return func() []string {
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("strace: %v\n%s", err, stderr.String())
		}
		var calls []string
		for line := range strings.Lines(string(b)) {
			if line = strings.TrimSpace(line); line != "" && !strings.Contains(line, "resumed>") {
				calls = append(calls, line)
			}
		}
		return calls
	}
}

// traced reports whether every thread of pid has a tracer.
func traced(pid int) bool {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", pid, task.Name()))
		if err != nil || strings.Contains(string(b), "TracerPid:\t0\n") {
			return false
		}
	}
	return true
}

// 10,000 idle connections: the gateway still answers a signed request
// promptly while they are open, closes each one that never sent a request
// after read_header_timeout, and closes a kept-alive connection after
// idle_timeout.
func TestIdleConnections(t *testing.T) {
	t.Parallel()
	const conns = 10_000
	raiseNoFile(t, conns+1000)
	dir := t.TempDir()
	db := filepath.Join(dir, "hookgate.db")
	sk := newSink(t)
	g := start(t, writeConfig(t, dir, fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
server: { read_header_timeout: 8s, idle_timeout: 2s }
sources:
  - { name: orders, provider: hmac, secret: idle-secret, hmac: { header: x-hmac } }
destinations:
  - { name: app, url: %q, timeout: 2s }
routes:
  - { from: [orders], to: [app] }
`, db, sk.url)))
	want := ledger{}
	before := []byte(`{"before":"idle"}`)
	want.accept(t, signed(t, "hmac", "idle-secret", g.url("/in/orders"), before, nil), before)

	opened := time.Now()
	idle := make([]net.Conn, conns)
	errs := make(chan error, 64)
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Go(func() {
			for i := w; i < conns; i += 64 {
				c, err := net.DialTimeout("tcp", g.addr, 10*time.Second)
				if err != nil {
					errs <- err
					return
				}
				idle[i] = c
			}
		})
	}
	wg.Wait()
	close(errs)
	for _, c := range idle {
		if c != nil {
			defer c.Close()
		}
	}
	if err := <-errs; err != nil {
		t.Fatalf("open idle connections: %v", err)
	}
	t.Logf("%d idle connections open in %v", conns, time.Since(opened).Round(time.Millisecond))

	// A signed request on a fresh connection while they are all open.
	body := []byte(`{"during":"idle"}`)
	req := signed(t, "hmac", "idle-secret", g.url("/in/orders"), body, nil)
	asked := time.Now()
	want.accept(t, req, body)
	took := time.Since(asked)
	t.Logf("signed request answered in %v with %d idle connections open", took.Round(time.Microsecond), conns)
	if took > 2*time.Second {
		t.Errorf("signed request took %v with idle connections open, want well under 2s", took)
	}
	if fds := openFDs(t, g); fds < conns {
		t.Errorf("gateway holds %d descriptors, want at least %d: the idle connections did not reach it", fds, conns)
	}

	// A kept-alive connection is closed after idle_timeout.
	ka, err := net.Dial("tcp", g.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ka.Close()
	kaBody := []byte(`{"keep":"alive"}`)
	kaReq := signed(t, "hmac", "idle-secret", g.url("/in/orders"), kaBody, nil)
	if err := kaReq.Write(ka); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(ka)
	resp, err := http.ReadResponse(br, kaReq)
	if err != nil {
		t.Fatal(err)
	}
	id, ok := decodeAccepted(resp)
	if !ok {
		t.Fatalf("keep-alive request: status %d", resp.StatusCode)
	}
	want[id] = kaBody
	answered := time.Now()
	_ = ka.SetReadDeadline(answered.Add(10 * time.Second))
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("kept-alive connection: read %v, want closed by the server", err)
	}
	if d := time.Since(answered); d < 1900*time.Millisecond || d > 5*time.Second {
		t.Errorf("kept-alive connection closed %v after its answer, want about idle_timeout (2s)", d)
	}

	// Every idle connection is closed by the server after
	// read_header_timeout, counted from when it was accepted.
	var closed, open atomic.Int64
	for _, c := range idle {
		wg.Go(func() {
			_ = c.SetReadDeadline(opened.Add(20 * time.Second))
			var b [1]byte
			_, err := c.Read(b[:])
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				open.Add(1)
				return
			}
			closed.Add(1)
		})
	}
	wg.Wait()
	all := time.Since(opened)
	t.Logf("%d idle connections closed by the server, %d still open, %v after they were opened", closed.Load(), open.Load(), all.Round(time.Millisecond))
	if open.Load() > 0 {
		t.Errorf("%d idle connections still open 20s after they were opened, want all closed after read_header_timeout (8s)", open.Load())
	}
	if all < 8*time.Second {
		t.Errorf("idle connections closed %v after opening, before read_header_timeout (8s)", all)
	}
	waitFor(t, 10*time.Second, "the events at the sink", func() bool { return sk.count() == len(want) })
	g.stop()
	checkStored(t, db, want)
}

// raiseNoFile raises this process's open-file limit to at least n, or
// fails the test saying why it cannot.
func raiseNoFile(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		lim.Max = n // only root may raise the hard limit
	}
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("RLIMIT_NOFILE: need %d open files for this test: %v (raise it with ulimit -n)", n, err)
	}
}

// openFDs counts the gateway process's open file descriptors.
func openFDs(t *testing.T, g *gateway) int {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", g.p.Cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// With the SSRF guard on, destinations at loopback, private, link-local
// (cloud metadata) and IPv4-mapped loopback addresses, and a DNS name that
// resolves to 127.0.0.1, are refused when dialled: each attempt is recorded
// with an error naming the guard, and nothing reaches the listener on
// 127.0.0.1. A destination with the guard turned off reaches it, which
// shows the listener would have seen a request that got through.
func TestSSRFGuard(t *testing.T) {
	t.Parallel()
	target := &counting{failStatus: http.StatusOK}
	u := serveLocal(t, target) // http://127.0.0.1:port/
	port := strings.TrimSuffix(u[strings.LastIndexByte(u, ':')+1:], "/")
	blocked := map[string]string{
		"loopback":    u + "hook",
		"mapped":      "http://[::ffff:127.0.0.1]:" + port + "/hook",
		"localhost":   "http://localhost:" + port + "/hook",
		"private":     "http://10.0.0.1:" + port + "/hook",
		"metadata":    "http://169.254.169.254/latest/meta-data/",
		"unspecified": "http://0.0.0.0:" + port + "/hook",
	}
	var dests, names strings.Builder
	for name, url := range blocked {
		fmt.Fprintf(&dests, "  - { name: %s, url: %q, timeout: 2s, retry: { max_attempts: 2, initial: 10ms, max: 20ms } }\n", name, url)
		names.WriteString(name + ", ")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "hookgate.db")
	g := start(t, writeConfig(t, dir, fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
delivery: { poll: 20ms, ssrf_guard: true }
sources:
  - { name: orders, provider: hmac, secret: ssrf-secret, hmac: { header: x-hmac } }
destinations:
%s  - { name: control, url: %q, ssrf_guard: false }
routes:
  - { from: [orders], to: [%scontrol] }
`, db, dests.String(), u+"control", names.String())))
	body := []byte(`{"ssrf":1}`)
	id, _ := accepted(t, signed(t, "hmac", "ssrf-secret", g.url("/in/orders"), body, nil))
	st := openStore(t, db)
	var ds []event.Delivery
	waitFor(t, 20*time.Second, "every guarded delivery to die and the control one to succeed", func() bool {
		var err error
		ds, err = st.Deliveries(context.Background(), store.DeliveryFilter{EventID: id})
		if err != nil || len(ds) != len(blocked)+1 {
			return false
		}
		for _, d := range ds {
			if d.State == event.Pending {
				return false
			}
		}
		return true
	})
	time.Sleep(200 * time.Millisecond)
	g.stop()
	if n := target.hits.Load(); n != 1 {
		t.Errorf("the listener on 127.0.0.1 got %d requests, want 1 (the control destination's)", n)
	}
	for _, d := range ds {
		if d.Destination == "control" {
			if d.State != event.Succeeded {
				t.Errorf("control: state %s, want succeeded", d.State)
			}
			continue
		}
		if d.State != event.Dead {
			t.Errorf("%s: state %s, want dead", d.Destination, d.State)
		}
		as, err := st.Attempts(context.Background(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 1 { // a refusal is permanent: dead at the first attempt
			t.Errorf("%s: %d attempts recorded, want 1", d.Destination, len(as))
		}
		for _, a := range as {
			if a.Status != 0 || !strings.Contains(a.Error, "SSRF guard") {
				t.Errorf("%s attempt %d: status %d, error %q; want no answer and an error naming the SSRF guard", d.Destination, a.N, a.Status, a.Error)
			}
		}
		if len(as) > 0 {
			t.Logf("%s (%s): %s", d.Destination, blocked[d.Destination], as[0].Error)
		}
	}
}
