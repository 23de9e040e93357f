package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/verify"
)

// loadGen sends signed events from several goroutines until stopped, and
// records every answer.
type loadGen struct {
	t      *testing.T
	g      *gateway
	stop   chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	failed []string           // "source: status body" of each answer not 200
	acked  map[string][]acked // source -> events acknowledged
	newRt  atomic.Bool        // set once the new routes are known to be in use
	signer func(*verify.Request) error
}

type acked struct {
	id string
	// afterReload: the request started after the new config was in use.
	afterReload bool
}

func newLoadGen(t *testing.T, g *gateway) *loadGen {
	s, err := verify.NewSigner("hmac", verify.Options{Secrets: []string{"s3cret"}, HMAC: verify.HMACOptions{Header: "x-hmac", Algorithm: "sha256", Encoding: "hex"}})
	if err != nil {
		t.Fatal(err)
	}
	return &loadGen{t: t, g: g, stop: make(chan struct{}), acked: map[string][]acked{}, signer: s.Sign}
}

// run sends to source from n goroutines until stop.
func (l *loadGen) run(source string, n int) {
	for i := range n {
		l.wg.Go(func() {
			client := &http.Client{Timeout: 10 * time.Second}
			for j := 0; ; j++ {
				select {
				case <-l.stop:
					return
				default:
				}
				l.send(client, source, fmt.Appendf(nil, `{"worker":%d,"n":%d}`, i, j))
				time.Sleep(3 * time.Millisecond)
			}
		})
	}
}

func (l *loadGen) send(client *http.Client, source string, body []byte) {
	after := l.newRt.Load()
	target := l.g.url("/in/" + source)
	u, _ := url.Parse(target)
	vr := &verify.Request{Method: http.MethodPost, URL: u, Header: http.Header{"Content-Type": {"application/json"}}, Body: body, Now: time.Now()}
	if err := l.signer(vr); err != nil {
		l.fail(fmt.Sprintf("%s: sign: %v", source, err))
		return
	}
	req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	req.Header = vr.Header
	resp, err := client.Do(req)
	if err != nil {
		l.fail(fmt.Sprintf("%s: %v", source, err))
		return
	}
	var a struct{ ID, Status string }
	derr := json.NewDecoder(resp.Body).Decode(&a)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || derr != nil || a.ID == "" {
		l.fail(fmt.Sprintf("%s: status %d, id %q, %v", source, resp.StatusCode, a.ID, derr))
		return
	}
	l.mu.Lock()
	l.acked[source] = append(l.acked[source], acked{a.ID, after})
	l.mu.Unlock()
}

func (l *loadGen) fail(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failed = append(l.failed, s)
}

func (l *loadGen) count(source string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked[source])
}

// finish stops the senders and returns what they recorded.
func (l *loadGen) finish() (failed []string, acks map[string][]acked) {
	close(l.stop)
	l.wg.Wait()
	return l.failed, l.acked
}

// waitLog waits until the gateway's log holds want n times.
func (g *gateway) waitLog(t *testing.T, want string, n int) {
	t.Helper()
	waitFor(t, 20*time.Second, fmt.Sprintf("log line %q (x%d)", want, n), func() bool {
		return strings.Count(g.stderr.String(), want) >= n
	})
}

// reloadConfig is the test's config; extra adds the billing source, the
// extra destination and changes the orders route to deliver there too.
func reloadConfig(db, pidFile, appURL, extraURL string, extra bool) string {
	s := fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
server: { pid_file: %q }
delivery: { poll: 20ms }
api: { tokens: [ { name: ops, token: %q, scope: admin } ] }
sources:
  - { name: orders, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }
`, db, pidFile, reloadToken)
	if extra {
		s += "  - { name: billing, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }\n"
	}
	s += fmt.Sprintf("destinations:\n  - { name: app, url: %q, timeout: 5s }\n", appURL)
	if extra {
		s += fmt.Sprintf("  - { name: extra, url: %q, timeout: 5s }\n", extraURL)
		return s + "routes:\n  - { from: [orders], to: [app, extra] }\n  - { from: [billing], to: [extra] }\n"
	}
	return s + "routes:\n  - { from: [orders], to: [app] }\n"
}

// reloadToken is the admin API token of the reload tests' configs.
const reloadToken = "reload-test-token-0123456789"

// reloadStep asks the gateway to reload, in the step-th way of a variant
// (0: a broken config, 1: a field that takes a restart, 2: a good config),
// and returns what the command printed and how it exited ("" and nil for a
// signal).
type reloadStep func(t *testing.T, g *gateway, step int, pidFile string) (string, error)

// By SIGHUP (a kill), `hookgate reload --pid`, then `--pid-file`: the
// outcome is only in the log.
func TestReloadUnderLoadBySignal(t *testing.T) {
	t.Parallel()
	testReloadUnderLoad(t, func(t *testing.T, g *gateway, step int, pidFile string) (string, error) {
		switch step {
		case 0:
			if err := g.p.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
		case 1:
			runCLI(t, "reload", "--pid", fmt.Sprint(g.p.Cmd.Process.Pid))
		default:
			runCLI(t, "reload", "--pid-file", pidFile)
		}
		return "", nil
	})
}

// By `hookgate reload` through the management API: a refusal is printed
// with its reason and exits 1.
func TestReloadUnderLoadByCommand(t *testing.T) {
	t.Parallel()
	testReloadUnderLoad(t, func(t *testing.T, g *gateway, _ int, _ string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, binary(t), "reload", "--gateway", g.url(""), "--token", reloadToken).CombinedOutput()
		return string(out), err
	})
}

// While signed events keep arriving from several goroutines, a broken
// config and one that changes listen are refused (reason logged, the old
// config keeps serving), then a good config adds a source and a destination
// and changes a route. Across the whole run every request is answered 200
// and every acknowledged event reaches each destination its routes name,
// once.
func testReloadUnderLoad(t *testing.T, reload reloadStep) {
	dir := t.TempDir()
	app, extra := newSink(t), newSink(t)
	db, pidFile := filepath.Join(dir, "hookgate.db"), filepath.Join(dir, "hookgate.pid")
	cfg := writeConfig(t, dir, reloadConfig(db, pidFile, app.url, extra.url, false))
	g := start(t, cfg)
	load := newLoadGen(t, g)
	load.run("orders", 4)
	waitFor(t, 20*time.Second, "events to flow", func() bool { return load.count("orders") >= 50 })

	// (a) A broken config: refused at its line.
	broken := strings.Replace(reloadConfig(db, pidFile, app.url, extra.url, false),
		"sources:\n", "sources:\n  - { name: billing, provider: nope }\n", 1)
	if err := os.WriteFile(cfg, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := reload(t, g, 0, pidFile)
	g.waitLog(t, `"msg":"config reload refused; still serving the previous config"`, 1)
	want := cfg + `:7: sources[0]`
	if log := g.stderr.String(); !strings.Contains(log, want) || !strings.Contains(log, `"level":"ERROR","msg":"config reload refused`) {
		t.Errorf("the refusal does not name %s at error level:\n%s", want, log)
	}
	checkRefused(t, out, err, want)
	// A field that takes a restart.
	moved := strings.Replace(reloadConfig(db, pidFile, app.url, extra.url, true), "127.0.0.1:0", "127.0.0.1:1", 1)
	if err := os.WriteFile(cfg, []byte(moved), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = reload(t, g, 1, pidFile)
	g.waitLog(t, `"msg":"config reload refused; still serving the previous config"`, 2)
	want = cfg + `: listen: changed, and that takes a restart`
	if log := g.stderr.String(); !strings.Contains(log, want) {
		t.Errorf("the refusal does not name listen:\n%s", log)
	}
	checkRefused(t, out, err, want)
	before := load.count("orders")
	waitFor(t, 20*time.Second, "the old config to keep serving", func() bool { return load.count("orders") >= before+50 })
	status, _ := do(t, signed(t, "hmac", "s3cret", g.url("/in/billing"), []byte(`{}`), nil))
	if status != http.StatusNotFound {
		t.Errorf("after refused reloads, billing = %d, want 404 (nothing applied)", status)
	}

	// (b) A good config.
	if err := os.WriteFile(cfg, []byte(reloadConfig(db, pidFile, app.url, extra.url, true)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = reload(t, g, 2, pidFile)
	if err != nil || (out != "" && out != "config reloaded\n") {
		t.Errorf("reload of a good config: %v, printed %q", err, out)
	}
	g.waitLog(t, `"msg":"config reloaded"`, 1)
	load.newRt.Store(true)
	if log := g.stderr.String(); !strings.Contains(log, `"msg":"config reloaded","sources_added":["billing"],"destinations_added":["extra"],"routes_added":["routes[1]"],"routes_changed":["routes[0]"]`) {
		t.Errorf("the config reloaded line does not say what changed:\n%s", log)
	}
	load.run("billing", 2)
	waitFor(t, 20*time.Second, "billing events to be acknowledged", func() bool { return load.count("billing") >= 50 })
	before = load.count("orders")
	waitFor(t, 20*time.Second, "more orders events", func() bool { return load.count("orders") >= before+50 })
	failed, acks := load.finish()

	if len(failed) > 0 {
		t.Errorf("%d requests failed, want none; first: %s", len(failed), failed[0])
	}
	var newOrders int
	for _, a := range acks["orders"] {
		if a.afterReload {
			newOrders++
		}
	}
	t.Logf("acknowledged: %d orders (%d after the reload), %d billing; none failed: %v",
		len(acks["orders"]), newOrders, len(acks["billing"]), len(failed) == 0)
	waitFor(t, 60*time.Second, "every acknowledged event to be delivered", func() bool {
		for _, a := range acks["orders"] {
			if !app.has(a.id) || (a.afterReload && !extra.has(a.id)) {
				return false
			}
		}
		for _, a := range acks["billing"] {
			if !extra.has(a.id) {
				return false
			}
		}
		return true
	})
	time.Sleep(200 * time.Millisecond) // room for a wrong extra delivery to show
	for _, a := range acks["orders"] {
		if n := app.byIDCount(a.id); n != 1 {
			t.Errorf("orders event %s reached app %d times, want once", a.id, n)
		}
	}
	for _, a := range acks["billing"] {
		if n := app.byIDCount(a.id); n != 0 {
			t.Errorf("billing event %s reached app, which no route sends it to", a.id)
		}
	}
	g.stop()
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Errorf("pid file after a clean stop: %v, want it removed", err)
	}
}

// checkRefused checks what `hookgate reload` printed about a refused
// config: the reason, and exit status 1 (nothing for a signal).
func checkRefused(t *testing.T, out string, err error, want string) {
	t.Helper()
	if out == "" && err == nil {
		return // a signal: the log says it
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("hookgate reload of a refused config exited with %v, want status 1", err)
	}
	if !strings.Contains(out, "hookgate: 422: config reload refused; still serving the previous config") || !strings.Contains(out, want) {
		t.Errorf("hookgate reload printed:\n%s\nwant the refusal with %q", out, want)
	}
}

// runCLI runs the hookgate binary with args and fails the test unless it
// exits 0.
func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("hookgate %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
