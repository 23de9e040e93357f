//go:build unix

package destination

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func newExec(t *testing.T, cfg ExecConfig) *Exec {
	t.Helper()
	e, err := NewExec(cfg)
	if err != nil {
		t.Fatalf("NewExec: %v", err)
	}
	return e
}

// script is the command running testdata/exec/name with args.
func script(name string, args ...string) []string {
	return append([]string{"/bin/sh", filepath.Join("testdata", "exec", name)}, args...)
}

func TestExecSuccess(t *testing.T) {
	t.Parallel()
	e := newExec(t, ExecConfig{Command: script("ok.sh")})
	ev := testEvent([]byte("{}"), "application/json")
	res := e.Deliver(t.Context(), ev, testDelivery())
	if res.Err != nil || res.Status != 200 {
		t.Fatalf("Deliver = %+v, want status 200 and no error", res)
	}
	// stdout and stderr interleave in the order written.
	if got, want := string(res.Response), "delivered "+ev.ID+"\na note\n"; got != want {
		t.Errorf("Response = %q, want %q", got, want)
	}
}

func TestExecExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		code      int
		permanent []int
		wantErr   string
	}{
		{"retried", 3, nil, "exit status 3"},
		{"retried despite other permanent codes", 3, []int{2, 64}, "exit status 3"},
		{"permanent", 64, []int{2, 64}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newExec(t, ExecConfig{Command: script("exit.sh", strconv.Itoa(tt.code)), PermanentExitCodes: tt.permanent})
			res := e.Deliver(t.Context(), testEvent(nil, ""), testDelivery())
			if res.Status != tt.code {
				t.Errorf("Status = %d, want the exit code %d", res.Status, tt.code)
			}
			if got := errText(res.Err); got != tt.wantErr {
				t.Errorf("Err = %q, want %q", got, tt.wantErr)
			}
			if want := "failing with " + strconv.Itoa(tt.code) + "\n"; string(res.Response) != want {
				t.Errorf("Response = %q, want %q", res.Response, want)
			}
		})
	}
}

func TestExecCannotStart(t *testing.T) {
	t.Parallel()
	e := newExec(t, ExecConfig{Command: []string{"/bin/sh"}, Dir: filepath.Join(t.TempDir(), "gone")})
	res := e.Deliver(t.Context(), testEvent(nil, ""), testDelivery())
	if res.Err == nil || res.Status != 0 {
		t.Errorf("Deliver in a missing folder = %+v, want status 0 and an error", res)
	}
}

func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	e := newExec(t, ExecConfig{Command: script("spawn.sh", pidFile), Timeout: 300 * time.Millisecond})
	start := time.Now()
	res := e.Deliver(t.Context(), testEvent(nil, ""), testDelivery())
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Deliver took %s, want about the 300ms timeout", took)
	}
	if !errors.Is(res.Err, context.DeadlineExceeded) || res.Status != 0 {
		t.Fatalf("Deliver = %+v, want status 0 and a deadline error", res)
	}
	if !strings.Contains(res.Err.Error(), "process group was killed") {
		t.Errorf("Err = %q, want it to say the process group was killed", res.Err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the script did not record its child: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("child pid %q: %v", b, err)
	}
	waitGone(t, pid)
}

// waitGone fails t unless process pid ends (or is a zombie) within 5s.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return // gone
		}
		// The state follows the command name in parentheses.
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("child process %d still running after the timeout: %s", pid, stat)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestExecStdinIsBodyByteForByte(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "stdin")
	body := make([]byte, 0, 300<<10) // larger than a pipe's buffer
	for i := range cap(body) {
		body = append(body, byte(i*7))
	}
	e := newExec(t, ExecConfig{Command: script("stdin.sh", out)})
	if res := e.Deliver(t.Context(), testEvent(body, "application/octet-stream"), testDelivery()); res.Status != 200 {
		t.Fatalf("Deliver = %+v, want status 200", res)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Errorf("stdin differs: got %d bytes, want %d", len(got), len(body))
	}
}

func TestExecEnv(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "env")
	host := map[string]string{
		"PATH":          "/usr/bin:/bin",
		"LANG":          "C.UTF-8",
		"DATABASE_URL":  "postgres://secret",
		"GITHUB_SECRET": "s3cr3t",
		"DEPLOY_TARGET": "blue",
	}
	e := newExec(t, ExecConfig{
		Command: script("env.sh", out),
		Env:     map[string]string{"MODE": "live", "LANG": "en_US.UTF-8"},
		PassEnv: []string{"DEPLOY_TARGET"},
		Headers: []string{"x-github-event", "X-Missing"},
		Getenv:  func(k string) string { return host[k] },
	})
	ev := testEvent([]byte("{}"), "application/json")
	ev.DeliveryID = "gh-123"
	ev.Header.Set("X-GitHub-Event", "push")
	ev.Header.Set("Authorization", "Bearer not-for-commands")
	d := testDelivery()
	if res := e.Deliver(t.Context(), ev, d); res.Status != 200 {
		t.Fatalf("Deliver = %+v, want status 200", res)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	want := map[string]string{
		"HOOKGATE_EVENT_ID":              ev.ID,
		"HOOKGATE_SOURCE":                "github",
		"HOOKGATE_EVENT_TYPE":            "push",
		"HOOKGATE_DELIVERY_ID":           d.ID,
		"HOOKGATE_PROVIDER_DELIVERY_ID":  "gh-123",
		"HOOKGATE_ATTEMPT":               "3",
		"HOOKGATE_CONTENT_TYPE":          "application/json",
		"HOOKGATE_RECEIVED_AT":           "2026-05-01T12:00:00Z",
		"HOOKGATE_DESTINATION":           "app",
		"HOOKGATE_HEADER_X_GITHUB_EVENT": "push",
		"MODE":                           "live",
		"LANG":                           "en_US.UTF-8", // configured beats inherited
		"PATH":                           "/usr/bin:/bin",
		"DEPLOY_TARGET":                  "blue",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	for _, k := range []string{"DATABASE_URL", "GITHUB_SECRET", "HOOKGATE_HEADER_X_MISSING", "HOOKGATE_HEADER_AUTHORIZATION"} {
		if v, ok := env[k]; ok {
			t.Errorf("%s = %q reached the command, want it absent", k, v)
		}
	}
}

func TestExecOutputBounded(t *testing.T) {
	t.Parallel()
	e := newExec(t, ExecConfig{Command: script("loud.sh")})
	res := e.Deliver(t.Context(), testEvent(nil, ""), testDelivery())
	if res.Status != 1 || res.Err == nil {
		t.Fatalf("Deliver = status %d err %v, want 1 and an error", res.Status, res.Err)
	}
	got := string(res.Response)
	if len(got) > MaxResponse {
		t.Errorf("Response is %d bytes, want at most %d", len(got), MaxResponse)
	}
	if !strings.HasPrefix(got, "first line\n") || !strings.HasSuffix(got, "the last word\n") || !strings.Contains(got, "bytes omitted") {
		t.Errorf("Response keeps neither head, tail nor marker: %q ... %q", got[:min(len(got), 60)], got[max(len(got)-60, 0):])
	}
}

func TestExecConcurrencyCap(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newExec(t, ExecConfig{Command: script("count.sh", dir), Concurrency: 2})
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen []int
	)
	for range 6 {
		wg.Go(func() {
			res := e.Deliver(t.Context(), testEvent(nil, ""), testDelivery())
			n, err := strconv.Atoi(strings.TrimSpace(string(res.Response)))
			if res.Status != 200 || err != nil {
				t.Errorf("Deliver = %+v, want status 200 and a count", res)
				return
			}
			mu.Lock()
			seen = append(seen, n)
			mu.Unlock()
		})
	}
	wg.Wait()
	if m := slices.Max(append(seen, 0)); m > 2 {
		t.Errorf("runs at once = %v, want at most 2", seen)
	}
}

func TestExecWaitForSlotHonoursContext(t *testing.T) {
	t.Parallel()
	e := newExec(t, ExecConfig{Command: script("ok.sh"), Concurrency: 1})
	e.slots <- struct{}{} // the one slot is busy
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	res := e.Deliver(ctx, testEvent(nil, ""), testDelivery())
	if !errors.Is(res.Err, context.DeadlineExceeded) {
		t.Errorf("Deliver with no free slot = %+v, want a deadline error", res)
	}
}

func TestNewExecErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  ExecConfig
		want string
	}{
		{"no command", ExecConfig{}, "command: required"},
		{"unknown program", ExecConfig{Command: []string{"hookgate-no-such-program"}}, "executable file not found"},
		{"bad env name", ExecConfig{Command: []string{"/bin/sh"}, Env: map[string]string{"A-B": "x"}}, `env: "A-B": not a variable name`},
		{"reserved env", ExecConfig{Command: []string{"/bin/sh"}, Env: map[string]string{"HOOKGATE_EVENT_ID": "x"}}, "set by hookgate"},
		{"permanent 0", ExecConfig{Command: []string{"/bin/sh"}, PermanentExitCodes: []int{0}}, "want 1 to 199"},
		{"permanent 200", ExecConfig{Command: []string{"/bin/sh"}, PermanentExitCodes: []int{200}}, "want 1 to 199"},
		{"bad header", ExecConfig{Command: []string{"/bin/sh"}, Headers: []string{"x y"}}, "not a valid header name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewExec(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewExec = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestHeaderEnvName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"X-GitHub-Event":   "HOOKGATE_HEADER_X_GITHUB_EVENT",
		"content-type":     "HOOKGATE_HEADER_CONTENT_TYPE",
		"X.Odd~Name":       "HOOKGATE_HEADER_X_ODD_NAME",
		"Stripe-Signature": "HOOKGATE_HEADER_STRIPE_SIGNATURE",
	} {
		if got := HeaderEnvName(in); got != want {
			t.Errorf("HeaderEnvName(%q) = %q, want %q", in, got, want)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
