package cli

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// benchChildVar, set in its environment, makes the test binary act as
// `hookgate bench ...` with its arguments: under go test, os.Executable is
// the test binary, so that is what bench starts as a reference process.
const benchChildVar = "HOOKGATE_TEST_BENCH_CHILD"

func init() {
	benchChildEnv = []string{benchChildVar + "=1"}
	if os.Getenv(benchChildVar) != "1" || len(os.Args) < 2 || os.Args[1] != "bench" {
		return
	}
	// As cmd/hookgate's main does.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	cmd := newBenchCmd(e)
	cmd.SetArgs(os.Args[2:])
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "hookgate: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runBenchCmd runs `hookgate bench args...` and returns its stdout.
func runBenchCmd(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}
	cmd := newBenchCmd(e)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.ExecuteContext(t.Context()); err != nil {
		t.Fatalf("bench %v: %v\nstderr:\n%s", args, err, stderr.String())
	}
	return stdout.String()
}

// tableRPS returns the req/s column of the table row for name.
func tableRPS(t *testing.T, table, name string) float64 {
	t.Helper()
	for line := range strings.Lines(table) {
		fields := strings.Fields(line)
		if len(fields) == 7 && fields[0] == name {
			rps, err := strconv.ParseFloat(fields[1], 64)
			if err != nil {
				t.Fatalf("row %q: req/s: %v", line, err)
			}
			return rps
		}
	}
	t.Fatalf("no row for %s in:\n%s", name, table)
	return 0
}

func TestBenchReferences(t *testing.T) {
	t.Parallel()
	out := runBenchCmd(t, "--references", "--duration", "1s", "--connections", "4", "--warmup", "100ms", "--floor-dir", t.TempDir())
	for _, name := range []string{"ceiling", "floor"} {
		if rps := tableRPS(t, out, name); rps <= 0 {
			t.Errorf("%s: %v req/s, want more than 0 in:\n%s", name, rps, out)
		}
	}
	if strings.Contains(out, "hookgate") {
		t.Errorf("table mentions hookgate, which was not measured:\n%s", out)
	}
	if header, _, _ := strings.Cut(out, "\n"); !strings.Contains(header, "references run as separate processes") {
		t.Errorf("header %q does not say the references run as separate processes", header)
	}
}

// TestBenchReferenceProcess starts the floor as a child process, sends it
// one body and stops it: the child must have served from another process,
// and synced and closed the file before exiting.
func TestBenchReferenceProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var stderr bytes.Buffer
	e := &env{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: &stderr}
	url, stop, err := startBenchReference(t.Context(), e, "floor", dir)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/json", strings.NewReader(`{"n":1}`))
	if err != nil {
		stop()
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("POST %s: %s, want 202", url, resp.Status)
	}
	http.DefaultClient.CloseIdleConnections()
	if err := stop(); err != nil {
		t.Fatalf("stop: %v\nstderr:\n%s", err, stderr.String())
	}
	if got := stderr.String(); !strings.Contains(got, "floor: 1 bodies in 1 fdatasyncs") {
		t.Errorf("child stderr = %q, want its floor's counts", got)
	}
	got, err := os.ReadFile(filepath.Join(dir, "floor.log"))
	if err != nil || string(got) != `{"n":1}` {
		t.Errorf("floor file = %q, %v; want the body", got, err)
	}
	if _, err := http.Post(url, "application/json", strings.NewReader("{}")); err == nil {
		t.Errorf("POST %s after stop succeeded; the child still serves", url)
	}
}

// TestBenchServeReferenceStdin runs the child mode in-process: it must print
// its URL, serve, and return once stdin ends.
func TestBenchServeReferenceStdin(t *testing.T) {
	t.Parallel()
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	e := &env{getenv: func(string) string { return "" }, stdin: stdinR, stdout: stdoutW, stderr: io.Discard}
	done := make(chan error, 1)
	go func() { done <- serveBenchReference(t.Context(), e, "ceiling", "") }()
	line, err := readLine(stdoutR)
	if err != nil {
		t.Fatal(err)
	}
	url, ok := strings.CutPrefix(line, benchListening)
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q, want %q and a local URL", line, benchListening)
	}
	resp, err := http.Post(url, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("POST %s: %s, want 202", url, resp.Status)
	}
	stdinW.Close()
	if err := <-done; err != nil {
		t.Errorf("serveBenchReference: %v", err)
	}
}

// TestBenchReferenceSIGTERM starts the floor process by hand and stops it
// with SIGTERM, stdin left open: it must sync, close and exit 0.
func TestBenchReferenceSIGTERM(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(exe, "bench", "--serve-reference", "floor", "--floor-dir", dir)
	cmd.Env = append(os.Environ(), benchChildEnv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe() // held open: only the signal stops it
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := readLine(stdout)
	if err != nil || !strings.HasPrefix(line, benchListening) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("first line %q, %v; want %q and a URL\nstderr:\n%s", line, err, benchListening, stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("child after SIGTERM: %v, want exit 0\nstderr:\n%s", err, stderr.String())
	}
	if got := stderr.String(); !strings.Contains(got, "floor: 0 bodies in 0 fdatasyncs") {
		t.Errorf("child stderr = %q, want its floor's counts", got)
	}
}

// readLine reads r up to a newline, one byte at a time.
func readLine(r io.Reader) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		if _, err := r.Read(b); err != nil {
			return string(line), err
		}
		if b[0] == '\n' {
			return string(line), nil
		}
		line = append(line, b[0])
	}
}

// TestBenchTarget loads a stand-in for hookgate that checks each request's
// GitHub signature and delivery id, and reads the JSON report.
func TestBenchTarget(t *testing.T) {
	t.Parallel()
	const secret = "s3cret"
	var (
		mu         sync.Mutex
		deliveries = map[string]bool{}
		bad        []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		mu.Lock()
		defer mu.Unlock()
		switch got := r.Header.Get("X-Hub-Signature-256"); {
		case got != want:
			bad = append(bad, "signature "+got)
		case r.Header.Get("X-GitHub-Event") != "push":
			bad = append(bad, "event "+r.Header.Get("X-GitHub-Event"))
		case deliveries[r.Header.Get("X-GitHub-Delivery")]:
			bad = append(bad, "repeated delivery "+r.Header.Get("X-GitHub-Delivery"))
		}
		deliveries[r.Header.Get("X-GitHub-Delivery")] = true
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()

	out := runBenchCmd(t, "--url", srv.URL+"/in/github", "--secret", secret, "--references", "--json",
		"--requests", "300", "--connections", "4", "--warmup", "0s", "--floor-dir", t.TempDir())
	var got benchOutput
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("decode JSON report: %v\n%s", err, out)
	}
	var names []string
	for _, r := range got.Runs {
		names = append(names, r.Name)
		if r.Requests != 300 || r.Errors != 0 || r.RPS <= 0 {
			t.Errorf("%s: %d requests, %d errors, %v req/s, want 300, 0, > 0", r.Name, r.Requests, r.Errors, r.RPS)
		}
	}
	if diff := cmp.Diff([]string{"hookgate", "ceiling", "floor"}, names); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	if got.Ratios["hookgate/floor"] <= 0 || got.Ratios["hookgate/ceiling"] <= 0 {
		t.Errorf("ratios = %v, want both above 0", got.Ratios)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("%d bad requests, first: %s", len(bad), bad[0])
	}
}

func TestBenchFlagErrors(t *testing.T) {
	t.Parallel()
	const url = "http://127.0.0.1:1/in/x"
	for _, c := range []struct {
		args []string
		want string // in the error
	}{
		{nil, "nothing to measure"},
		{[]string{"--references", "--provider", "no-such-provider"}, "no-such-provider"},
		{[]string{"--serve-reference", "wrk"}, "wrk"},
		{[]string{"--url", url, "--references", "--rounds", "0"}, "--rounds"},
		{[]string{"--url", url, "--rounds", "3"}, "--rounds"},
		{[]string{"--url", url, "--references", "--rounds", "3", "--sink", "127.0.0.1:0"}, "--rounds"},
	} {
		e := &env{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard}
		cmd := newBenchCmd(e)
		cmd.SetArgs(c.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		if err := cmd.ExecuteContext(t.Context()); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("bench %v: %v, want an error naming %q", c.args, err, c.want)
		}
	}
}

// --rounds measures hookgate and both references in turn, and the ratio
// reported is the median of the rounds' ratios.
func TestBenchRounds(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	out := runBenchCmd(t, "--url", srv.URL+"/in/github", "--secret", "s", "--references", "--rounds", "3", "--json",
		"--requests", "100", "--connections", "2", "--warmup", "0s", "--floor-dir", t.TempDir())
	var got benchOutput
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("decode JSON report: %v\n%s", err, out)
	}
	var runs []string
	for _, r := range got.Runs {
		runs = append(runs, fmt.Sprintf("%s %d", r.Name, r.Round))
	}
	want := []string{"hookgate 1", "ceiling 1", "floor 1", "hookgate 2", "ceiling 2", "floor 2", "hookgate 3", "ceiling 3", "floor 3"}
	if diff := cmp.Diff(want, runs); diff != "" {
		t.Fatalf("runs (-want +got):\n%s", diff)
	}
	if len(got.RoundRatios) != 3 {
		t.Fatalf("%d rounds of ratios, want 3", len(got.RoundRatios))
	}
	for _, ratio := range []string{"hookgate/floor", "hookgate/ceiling"} {
		var each []float64
		for i, r := range got.RoundRatios {
			hg, ref := got.Runs[3*i].RPS, got.Runs[3*i+1].RPS
			if ratio == "hookgate/floor" {
				ref = got.Runs[3*i+2].RPS
			}
			if r[ratio] != hg/ref {
				t.Errorf("round %d %s = %v, want %v", i+1, ratio, r[ratio], hg/ref)
			}
			each = append(each, r[ratio])
		}
		slices.Sort(each)
		if got.Ratios[ratio] != each[1] {
			t.Errorf("%s = %v, want the median of %v", ratio, got.Ratios[ratio], each)
		}
	}
}

func TestMedianRatios(t *testing.T) {
	t.Parallel()
	got := medianRatios([]map[string]float64{{"hookgate/floor": 0.5}, {"hookgate/floor": 1}, {"hookgate/floor": 0.25}, {"hookgate/floor": 0.75, "hookgate/ceiling": 0.25}})
	want := map[string]float64{"hookgate/floor": 0.625, "hookgate/ceiling": 0.25}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("medianRatios (-want +got):\n%s", diff)
	}
}
