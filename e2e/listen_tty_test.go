package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ttyOutput collects what a program writes to its terminal.
type ttyOutput struct {
	mu sync.Mutex
	b  strings.Builder
}

func (o *ttyOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// The live view of `hookgate listen`, run on a terminal (a pty): one line
// per event with its local status, `s N` shows an event's request and
// response, and `r N` sends it to the local app again.
func TestListenTerminal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var mu sync.Mutex
	got := map[string]int{} // event id -> requests
	app := newSinkFunc(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.Header.Get("Hookgate-Event-Id")]++
		mu.Unlock()
		if strings.Contains(string(b), "broken") {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "it broke")
			return
		}
		io.WriteString(w, "thanks")
	})
	cfg := fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
delivery: { poll: 20ms }
sources:
  - { name: github, provider: github, secret: s3cret }
destinations:
  - name: dev
    retry: { max_attempts: 1 }
    listen: { token: %s }
routes:
  - { from: [github], to: [dev], ordering: { key: source } }
`, filepath.Join(dir, "hookgate.db"), listenToken)
	g := start(t, writeConfig(t, dir, cfg))

	cmd := exec.Command(binary(t), "listen", "--gateway", "http://"+g.addr, "--token", listenToken,
		"--to", app, "--state", filepath.Join(dir, "state.jsonl"))
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); tty.Close() })
	out := &ttyOutput{}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			out.mu.Lock()
			out.b.Write(buf[:n])
			out.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	see := func(what string, re *regexp.Regexp) {
		t.Helper()
		waitFor(t, 20*time.Second, what+"\n(terminal so far:\n"+out.String()+")", func() bool { return re.MatchString(out.String()) })
	}
	see("the listener connected and caught up", regexp.MustCompile(`-- caught up`))

	send := func(delivery, body string) string {
		id, _ := accepted(t, signed(t, "github", "s3cret", g.url("/in/github"), []byte(body),
			http.Header{"X-Github-Event": {"push"}, "X-Github-Delivery": {delivery}}))
		return id
	}
	first := send("d-1", `{"ok":true}`)
	send("d-2", `{"broken":true}`)
	see("event #1 with status 200", regexp.MustCompile(`#1 +github +push +200 +[0-9.]+ms`))
	see("event #2 with status 500", regexp.MustCompile(`#2 +github +push +500 +[0-9.]+ms`))

	io.WriteString(tty, "s 1\r")
	see("event #1's request and response", regexp.MustCompile(`(?s)> POST http://127\.0\.0\.1:\d+/hooks.*Hookgate-Event-Id: `+first+`.*\{"ok":true\}.*< 200 OK.*thanks`))

	io.WriteString(tty, "r 1\r")
	see("the replay of #1", regexp.MustCompile(`#3 +github +push +200 +[0-9.]+ms +\(replay of #1\)`))
	mu.Lock()
	n := got[first]
	mu.Unlock()
	if n != 2 {
		t.Errorf("the app got event #1 %d times, want 2 (the delivery and the replay)", n)
	}

	io.WriteString(tty, "q\r")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("listen exited with %v after q, want 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("listen did not quit on q; terminal:\n%s", out.String())
	}
}

// newSinkFunc serves f on 127.0.0.1 and returns its /hooks URL.
func newSinkFunc(t *testing.T, f http.HandlerFunc) string {
	t.Helper()
	ln, err := listenLocal()
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/hooks"
}
