package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hookgate/hookgate/internal/store"
)

const (
	githubSecret = "ui-browser-test-secret"
	adminToken   = "hgt_browser_admin_token"
)

// chromium finds the browser; without one the test skips, or fails under
// CI=true (test.sh installs Debian's chromium).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is required under CI=true (apt-get install chromium)")
	}
	t.Skip("chromium not found (apt-get install chromium); the browser test needs it")
	return ""
}

// artifacts returns the folder for screenshots: $HOOKGATE_ARTIFACTS/ui, or
// artifacts/ui at the module's root.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HOOKGATE_ARTIFACTS")
	if dir == "" {
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "artifacts")
	}
	dir = filepath.Join(dir, "ui")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// console collects what the pages write to the console, errors and
// Content-Security-Policy violations included.
type console struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

func (c *console) add(m chromedp.ConsoleMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, m)
}

// since returns the messages after the first n.
func (c *console) since(n int) []chromedp.ConsoleMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), c.msgs[min(n, len(c.msgs)):]...)
}

func (c *console) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

// bad reports whether m is an error, an exception or a CSP violation, but
// for the 403 the test provokes on purpose (a POST without the CSRF token),
// which Chromium logs as a failed resource.
func bad(m chromedp.ConsoleMessage) bool {
	if m.Source == "network" && strings.HasSuffix(m.URL, "/replay") && strings.Contains(m.Text, "403") {
		return false
	}
	return m.Type == chromedp.ConsoleError || m.IsException() || strings.Contains(m.Text, "Content Security Policy")
}

// tab drives one browser tab.
type tab struct {
	t   *testing.T
	ctx context.Context
	dir string
}

func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *tab) eval(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return s
}

// waitFor evaluates the boolean expression js until it is true. (Not
// chromedp.Poll: its predicate is built with new Function, which the UI's
// CSP forbids, as it should.)
func (b *tab) waitFor(what, js string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("Boolean("+js+")"))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			html, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
			b.t.Fatalf("waited 20s for %s (%s); last error %v; page:\n%s", what, js, err, html)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// screenshot saves the whole page as name.png and logs the path.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		b.t.Fatalf("screenshot %s is not a PNG", name)
	}
	path := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

func TestBrowser(t *testing.T) {
	exe := chromium(t)
	g := startGateway(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelTimeout()
	b := &tab{t: t, ctx: ctx, dir: artifacts(t)}

	cons := &console{}
	msgs := chromedp.Console(ctx) // starts the browser; subscribes now
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			cons.add(m)
		}
	}()

	// The canary: a page that breaks the UI's CSP must be reported, or the
	// "no violations" checks below would prove nothing.
	canary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'")
		fmt.Fprint(w, `<!doctype html><title>canary</title><style>body{color:red}</style><script>document.title="ran"</script><p>canary</p>`)
	}))
	defer canary.Close()
	b.do("open the canary", chromedp.Navigate(canary.URL))
	deadline := time.Now().Add(10 * time.Second)
	for !hasCSPViolation(cons.since(0)) {
		if time.Now().After(deadline) {
			t.Fatalf("the canary's inline script and style were not reported; console: %v", cons.since(0))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if title := b.eval("document.title"); title != "canary" {
		t.Fatalf("the canary's inline script ran (title %q): CSP not enforced", title)
	}
	mark := cons.len()

	// 1. Login.
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(g.url+"/ui/"))
	if err != nil {
		t.Fatalf("open /ui/: %v", err)
	}
	if got := header(res.Headers, "Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") || !strings.Contains(got, "frame-ancestors 'none'") {
		t.Errorf("the login page's CSP header is %q", got)
	}
	b.waitFor("the login form", `location.pathname === "/ui/login" && document.getElementById("token") !== null`)
	b.screenshot("login")
	b.do("sign in",
		chromedp.SendKeys(chromedp.ID("token"), adminToken),
		chromedp.Click(chromedp.ID("sign-in")),
	)
	b.waitFor("the live feed", `location.pathname === "/ui/" && document.getElementById("feed-rows") !== null`)
	b.waitFor("the script's first poll", `document.getElementById("feed-rows").hasAttribute("data-updated")`)

	// 2. The feed shows a webhook sent after it was opened, and a refused
	// one, without a reload: the mark set now survives.
	b.eval(`window.hookgateMark = "still here"; "ok"`)
	status, id := g.send(t, `{"ref":"refs/heads/main","commits":[{"id":"c0ffee"}]}`, "")
	if status != http.StatusOK || id == "" {
		t.Fatalf("send: status %d, id %q", status, id)
	}
	if status, _ := g.send(t, `{"ref":"forged"}`, "sha256=0000"); status != http.StatusUnauthorized {
		t.Fatalf("send with a bad signature: status %d, want 401", status)
	}
	b.waitFor("the new event in the feed", fmt.Sprintf(`document.querySelector('#feed-rows tr.event[data-id="%s"]') !== null`, id))
	b.waitFor("the rejection in the feed", `document.querySelector('#feed-rows tr.rejection') !== null`)
	b.waitFor("the deliveries' outcome in the feed", fmt.Sprintf(
		`(r => r && /1 succeeded/.test(r.textContent) && /1 dead/.test(r.textContent))(document.querySelector('#feed-rows tr[data-id="%s"]'))`, id))
	if got := b.eval("String(window.hookgateMark)"); got != "still here" {
		t.Errorf("the feed page was reloaded (mark %q)", got)
	}
	if got := b.eval(`document.querySelector('#feed-rows tr.rejection').textContent`); !strings.Contains(got, "401") {
		t.Errorf("the rejection row says %q, want its status", got)
	}
	b.screenshot("feed")

	// 3. The event page: the request as received, redacted, and the
	// attempts.
	b.do("open the event", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#feed-rows tr[data-id="%s"] a`, id))))
	b.waitFor("the event page", fmt.Sprintf(`location.pathname === "/ui/events/%s" && document.getElementById("deliveries") !== null`, id))
	requestLine := b.eval(`document.getElementById("request-line").textContent`)
	if requestLine != "POST /in/github?via=browser-test" {
		t.Errorf("request line %q", requestLine)
	}
	headers := b.eval(`document.getElementById("request-headers").textContent`)
	for _, want := range []string{"X-Github-Event", "push", "X-Hub-Signature-256", "redacted (71 bytes)"} {
		if !strings.Contains(headers, want) {
			t.Errorf("request headers lack %q:\n%s", want, headers)
		}
	}
	if strings.Contains(b.eval("document.body.innerHTML"), "sha256=") {
		t.Error("the event page shows the signature")
	}
	if got := b.eval(`document.getElementById("request-body").textContent`); got != `{"ref":"refs/heads/main","commits":[{"id":"c0ffee"}]}` {
		t.Errorf("request body %q", got)
	}
	b.waitFor("the app delivery's attempt", `(d => d && d.querySelectorAll(".attempt").length === 1 && /status 200/.test(d.textContent) && /received/.test(d.textContent))(document.querySelector('.delivery.succeeded'))`)
	b.waitFor("the audit delivery's dead attempt", `(d => d && d.dataset.attempts === "1" && /status 503/.test(d.textContent) && /sink says no/.test(d.textContent))(document.querySelector('.delivery.dead'))`)
	b.screenshot("event")

	// 4. Replay to app: a new delivery whose attempt appears on the page.
	before := g.sink.count("/ok")
	b.do("replay to app",
		chromedp.SetValue(chromedp.ID("replay-destination"), "app"),
		chromedp.Click(chromedp.ID("replay")),
	)
	b.waitFor("the replay's notice", `document.getElementById("notice") !== null && /Replayed: 1 new delivery/.test(document.getElementById("notice").textContent)`)
	b.waitFor("the replayed delivery's attempt", `document.querySelectorAll('.delivery.succeeded[data-attempts="1"]').length === 2`)
	if after := g.sink.count("/ok"); after != before+1 {
		t.Errorf("the sink got %d requests at /ok after the replay, want %d", after, before+1)
	}
	b.screenshot("event-replayed")

	// 5. Retry the dead delivery: its second attempt appears, live.
	b.eval(`window.hookgateMark = "before retry"; "ok"`)
	b.do("retry", chromedp.Click(chromedp.CSS(".delivery.dead button.retry")))
	b.waitFor("the retried delivery's second attempt", `(d => d && d.dataset.attempts === "2")(document.querySelector('.delivery.dead'))`)

	// 6. A POST without the CSRF token, from the signed-in page: refused.
	ds, err := g.store.Deliveries(ctx, store.DeliveryFilter{EventID: id})
	if err != nil {
		t.Fatal(err)
	}
	got := b.eval(fmt.Sprintf(`fetch("/ui/events/%s/replay", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "destination=app"}).then(r => String(r.status))`, id))
	if got != "403" {
		t.Errorf("POST replay without csrf from the page: %s, want 403", got)
	}
	if again, err := g.store.Deliveries(ctx, store.DeliveryFilter{EventID: id}); err != nil || len(again) != len(ds) {
		t.Errorf("the refused POST changed the deliveries: %d before, %d after (%v)", len(ds), len(again), err)
	}

	// 7. Health: sources, destinations, the chart.
	b.do("open health", chromedp.Click(chromedp.CSS(`nav a[href="/ui/health"]`)))
	b.waitFor("the health page", `location.pathname === "/ui/health" && document.getElementById("destinations") !== null`)
	sources := b.eval(`document.querySelector('#sources tr[data-source="github"]').textContent`)
	if !strings.Contains(sources, "401 malformed X-Hub-Signature-256") {
		t.Errorf("github's health row %q lacks its last rejection", sources)
	}
	dests := b.eval(`document.getElementById("destinations").textContent`)
	for _, want := range []string{"app", "audit", "running"} {
		if !strings.Contains(dests, want) {
			t.Errorf("destinations table lacks %q:\n%s", want, dests)
		}
	}
	if n := b.eval(`String(document.querySelectorAll("#throughput rect.accepted").length)`); n == "0" {
		t.Error("the throughput chart has no bar")
	}
	b.screenshot("health")

	// 8. Sign out.
	b.do("sign out", chromedp.Click(chromedp.ID("logout")))
	b.waitFor("the login page", `location.pathname === "/ui/login"`)

	// No page of the UI broke its CSP or logged an error.
	for _, m := range cons.since(mark) {
		if bad(m) {
			t.Errorf("console %s at %s:%d: %s", m.Type, m.URL, m.Line+1, m.Text)
		}
	}
}

func hasCSPViolation(msgs []chromedp.ConsoleMessage) bool {
	for _, m := range msgs {
		if strings.Contains(m.Text, "Content Security Policy") {
			return true
		}
	}
	return false
}

// header finds a response header by name, in any case.
func header(h map[string]any, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}
