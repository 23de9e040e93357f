package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/bench"
	"github.com/hookgate/hookgate/internal/verify"
)

// benchFlags are the flags of `hookgate bench`.
type benchFlags struct {
	url         string
	provider    string
	secret      string
	connections int
	duration    time.Duration
	requests    int
	warmup      time.Duration
	bodySize    int
	references  bool
	rounds      int
	floorDir    string
	json        bool
	rate        float64
	sink        string
	drain       time.Duration
	pid         int
	cpuProfile  string

	// serveReference, a hidden flag, makes bench the reference server
	// itself: the child process each reference runs in (see
	// startBenchReference).
	serveReference string
}

func newBenchCmd(e *env) *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure durable-ingest requests/s and latency, next to the HTTP ceiling and the durable floor",
		Long: `bench sends signed POST requests to a running hookgate (--url) from many
keep-alive connections and reports requests/s and latency percentiles.

With --references it also measures, in the same run and the same way, two
reference servers: the HTTP ceiling (a bare net/http handler that reads the
body and answers 202) and the durable floor (a handler that appends the body
to a file and answers after a group-committed fdatasync). Each runs in its own
process, started from this binary, as hookgate runs in its own: served from
inside the load generator's process, a reference shares its runtime and
scheduler and the ratios stop comparing like with like.
hookgate aims at 80% of the floor's requests/s or better.

On a machine whose speed drifts (a shared virtual machine), the floor, which
does almost nothing but wait for the disk, moves more than hookgate does.
--rounds N measures hookgate, the ceiling and the floor N times in turn and
reports the ratios of each round and their median.`,
		Example: `  hookgate bench --url http://127.0.0.1:8080/in/github --secret "$SECRET" --references
  hookgate bench --url http://127.0.0.1:8080/in/github --secret "$SECRET" --references --rounds 5
  hookgate bench --references --duration 3s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.serveReference != "" {
				return serveBenchReference(cmd.Context(), e, f.serveReference, f.floorDir)
			}
			if f.requests > 0 && !cmd.Flags().Changed("duration") {
				f.duration = 0 // --requests alone bounds each run
			}
			if f.cpuProfile != "" {
				stop, err := startCPUProfile(f.cpuProfile)
				if err != nil {
					return err
				}
				defer stop()
			}
			return runBench(cmd.Context(), e, f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.url, "url", "", "hookgate source URL to load, e.g. http://127.0.0.1:8080/in/github")
	fs.StringVar(&f.provider, "provider", "github", `sign requests as this provider would ("none" to send them unsigned)`)
	fs.StringVar(&f.secret, "secret", "", "the source's signing secret (without it, requests carry no signature)")
	fs.IntVar(&f.connections, "connections", 64, "concurrent connections")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "measured duration of each run, warm-up excluded")
	fs.IntVar(&f.requests, "requests", 0, "stop each run after this many measured requests; alone, it replaces --duration")
	fs.DurationVar(&f.warmup, "warmup", time.Second, "load sent before each run's measurement and left out of its figures")
	fs.IntVar(&f.bodySize, "body-size", 2048, "size of each JSON body in bytes")
	fs.BoolVar(&f.references, "references", false, "also measure the HTTP ceiling and the durable floor, each in its own process")
	fs.IntVar(&f.rounds, "rounds", 1, "with --references: measure hookgate and the references this many times in turn, and report the median of each round's ratios")
	fs.StringVar(&f.floorDir, "floor-dir", os.TempDir(), "directory for the durable floor's file (put it on the disk hookgate stores on)")
	fs.BoolVar(&f.json, "json", false, "print the report as JSON")
	fs.Float64Var(&f.rate, "rate", 0, "pace the load at this many requests/s in all (0: as fast as the connections allow)")
	fs.StringVar(&f.sink, "sink", "", "end to end: serve a built-in sink on this address (e.g. 127.0.0.1:9099) that the gateway delivers to, and report deliveries/s, backlog and latency")
	fs.DurationVar(&f.drain, "drain", time.Minute, "end to end: how long to wait after the load for every accepted event to reach the sink")
	fs.IntVar(&f.pid, "pid", 0, "end to end: the gateway's process id, to report its largest RSS (Linux)")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of the load generator (and sink) to this file")
	fs.StringVar(&f.serveReference, "serve-reference", "", "serve the reference `floor|ceiling` (its file in --floor-dir), print its URL and serve until stdin closes")
	_ = fs.MarkHidden("serve-reference") // the flag exists
	return cmd
}

// benchRun is one measured target.
type benchRun struct {
	Name  string `json:"name"`
	Round int    `json:"round,omitempty"` // with --rounds: 1, 2, ...
	URL   string `json:"url"`
	bench.Report
}

// benchOutput is the whole report of `hookgate bench --json`.
type benchOutput struct {
	Connections int                  `json:"connections"`
	Duration    time.Duration        `json:"duration_ns"`
	Requests    int                  `json:"requests,omitempty"`
	Warmup      time.Duration        `json:"warmup_ns"`
	BodySize    int                  `json:"body_size"`
	Runs        []benchRun           `json:"runs"`
	EndToEnd    *benchE2E            `json:"end_to_end,omitempty"`
	Ratios      map[string]float64   `json:"ratios,omitempty"`       // "hookgate/floor": requests/s over requests/s; with rounds, the median
	RoundRatios []map[string]float64 `json:"round_ratios,omitempty"` // with --rounds: each round's ratios
}

func runBench(ctx context.Context, e *env, f benchFlags) error {
	if f.url == "" && !f.references {
		return errors.New("bench: nothing to measure: give --url, --references, or both")
	}
	if f.rounds < 1 || f.rounds > 1 && (!f.references || f.url == "" || f.sink != "") {
		return errors.New("bench: --rounds is a count of 1 or more, and more than 1 needs --url and --references, without --sink")
	}
	sign, err := benchSigner(f.provider, f.secret)
	if err != nil {
		return err
	}
	opts := bench.Options{
		Connections: f.connections,
		Duration:    f.duration,
		Requests:    f.requests,
		BodySize:    f.bodySize,
		Warmup:      f.warmup,
		// The references get signed requests too: they ignore the headers,
		// but the load generator then spends the same CPU on every target.
		Sign:     sign,
		Progress: e.stderr,
		Rate:     f.rate,
	}
	out := benchOutput{Connections: f.connections, Duration: opts.Duration, Requests: f.requests, Warmup: f.warmup, BodySize: f.bodySize}
	if f.sink != "" && f.url == "" {
		return errors.New("bench: --sink needs --url (the gateway to load)")
	}
	if f.sink != "" {
		r, e2e, err := e2eRun(ctx, e, f.url, f.sink, f.drain, f.pid, opts)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stderr, e2e)
		out.Runs = append(out.Runs, benchRun{Name: "hookgate", URL: f.url, Report: r})
		out.EndToEnd = &e2e
		if f.references {
			refs, err := benchReferences(ctx, e, f.floorDir, opts)
			if err != nil {
				return err
			}
			out.Runs = append(out.Runs, refs...)
		}
		out.Ratios = benchRatios(out.Runs)
	} else {
		for round := 1; round <= f.rounds; round++ {
			var runs []benchRun
			if f.url != "" {
				r, err := benchTarget(ctx, e, "hookgate", f.url, opts)
				if err != nil {
					return err
				}
				runs = append(runs, benchRun{Name: "hookgate", URL: f.url, Report: r})
			}
			if f.references {
				refs, err := benchReferences(ctx, e, f.floorDir, opts)
				if err != nil {
					return err
				}
				runs = append(runs, refs...)
			}
			if f.rounds > 1 {
				for i := range runs {
					runs[i].Round = round
				}
				out.RoundRatios = append(out.RoundRatios, benchRatios(runs))
			}
			out.Runs = append(out.Runs, runs...)
		}
		out.Ratios = benchRatios(out.Runs)
		if f.rounds > 1 {
			out.Ratios = medianRatios(out.RoundRatios)
		}
	}
	if f.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return writeBenchTable(e.stdout, out)
}

// benchTarget runs the load against url, announcing it on stderr.
func benchTarget(ctx context.Context, e *env, name, url string, opts bench.Options) (bench.Report, error) {
	fmt.Fprintf(e.stderr, "%s: %s\n", name, url)
	opts.URL = url
	r, err := bench.Run(ctx, opts)
	if err != nil {
		return r, fmt.Errorf("bench %s: %w", name, err)
	}
	fmt.Fprintf(e.stderr, "%s: %s\n", name, r)
	return r, nil
}

// benchReferences measures the ceiling and then the floor, each served by
// a child process of its own that is stopped before the next run.
func benchReferences(ctx context.Context, e *env, floorDir string, opts bench.Options) ([]benchRun, error) {
	var runs []benchRun
	for _, name := range []string{"ceiling", "floor"} {
		r, err := benchReference(ctx, e, name, floorDir, opts)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// benchReference starts the reference name in a child process, loads it and
// stops it; the floor's file lives in a fresh directory under floorDir,
// removed afterwards.
func benchReference(ctx context.Context, e *env, name, floorDir string, opts bench.Options) (benchRun, error) {
	var dir string
	if name == "floor" {
		var err error
		if dir, err = os.MkdirTemp(floorDir, "hookgate-bench-"); err != nil {
			return benchRun{}, fmt.Errorf("bench floor: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	url, stop, err := startBenchReference(ctx, e, name, dir)
	if err != nil {
		return benchRun{}, fmt.Errorf("bench %s: %w", name, err)
	}
	r, err := benchTarget(ctx, e, name, url, opts)
	// The child's exit status says whether the floor's final sync and close
	// went well.
	if serr := stop(); err == nil && serr != nil {
		err = fmt.Errorf("bench %s: %w", name, serr)
	}
	return benchRun{Name: name, URL: url, Report: r}, err
}

// benchChildEnv is added to the environment of the reference processes.
// Under go test, os.Executable is the test binary, and bench_test.go sets
// this so the binary knows to act as hookgate.
var benchChildEnv []string

const (
	// benchListening prefixes the line a reference process prints on stdout
	// once it accepts connections; its URL follows.
	benchListening = "listening "
	// benchChildStart bounds the wait for that line.
	benchChildStart = 30 * time.Second
	// benchChildStop bounds the wait for a reference process to exit once
	// its stdin is closed (the floor syncs and closes its file first); it is
	// then killed.
	benchChildStop = 15 * time.Second
)

// startBenchReference runs this binary as `hookgate bench --serve-reference
// name --floor-dir floorDir` and returns the URL it serves on. stop closes
// the child's stdin, which tells it to exit, and waits for it; a child that
// does not exit in time is killed. What the child wrote on stderr is copied
// to e.stderr once it has exited, so that only this goroutine writes there.
func startBenchReference(ctx context.Context, e *env, name, floorDir string) (url string, stop func() error, err error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, fmt.Errorf("find own executable to start the reference: %w", err)
	}
	args := []string{"bench", "--serve-reference", name}
	if floorDir != "" {
		args = append(args, "--floor-dir", floorDir)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), benchChildEnv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	urls := make(chan string, 1)
	cmd.Stdout = &listenWriter{url: urls}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start reference process: %w", err)
	}
	exited := make(chan error, 1)
	go func() {
		err := cmd.Wait() // returns once stderr is copied
		exited <- err
	}()
	relay := func() { _, _ = e.stderr.Write(stderr.Bytes()) }
	stop = func() error {
		stdin.Close()
		t := time.NewTimer(benchChildStop)
		defer t.Stop()
		select {
		case err := <-exited:
			relay()
			if err != nil {
				return fmt.Errorf("reference process: %w", err)
			}
			return nil
		case <-t.C:
			_ = cmd.Process.Kill()
			<-exited
			relay()
			return fmt.Errorf("reference process did not exit within %s of its stdin closing; killed", benchChildStop)
		}
	}
	t := time.NewTimer(benchChildStart)
	defer t.Stop()
	select {
	case url := <-urls:
		return url, stop, nil
	case err := <-exited:
		relay()
		if err == nil {
			err = errors.New("exited")
		}
		return "", nil, fmt.Errorf("reference process ended before it listened: %w", err)
	case <-ctx.Done():
		err = ctx.Err()
	case <-t.C:
		err = fmt.Errorf("reference process did not listen within %s", benchChildStart)
	}
	_ = stop() // it may be listening by now; it is not measured
	return "", nil, err
}

// listenWriter is a reference process's stdout: it sends the URL of the
// first "listening" line on url and discards the rest. exec.Cmd writes to
// it from one goroutine.
type listenWriter struct {
	url  chan<- string // capacity 1
	line []byte
	sent bool
}

func (w *listenWriter) Write(p []byte) (int, error) {
	if w.sent {
		return len(p), nil
	}
	w.line = append(w.line, p...)
	for {
		line, rest, ok := strings.Cut(string(w.line), "\n")
		if !ok {
			return len(p), nil
		}
		w.line = []byte(rest)
		if u, ok := strings.CutPrefix(strings.TrimSpace(line), benchListening); ok {
			w.url <- u
			w.sent, w.line = true, nil
			return len(p), nil
		}
	}
}

// serveBenchReference is `hookgate bench --serve-reference name`: it serves
// the reference on a fresh port of 127.0.0.1, prints "listening URL" on
// stdout, and serves until stdin reaches its end (the parent closed it or
// died) or ctx is done (SIGTERM). It then shuts the server down and closes
// the floor, with a last sync. The floor's file is floor.log in floorDir.
func serveBenchReference(ctx context.Context, e *env, name, floorDir string) error {
	var (
		h  http.Handler
		fl *bench.Floor
	)
	switch name {
	case "ceiling":
		h = bench.Ceiling()
	case "floor":
		var err error
		if fl, err = bench.NewFloor(filepath.Join(floorDir, "floor.log")); err != nil {
			return fmt.Errorf("bench floor: %w", err)
		}
		h = fl
	default:
		return fmt.Errorf("bench: --serve-reference %q: want floor or ceiling", name)
	}
	url, shutdown, err := bench.Serve(h)
	if err == nil {
		_, err = fmt.Fprintf(e.stdout, "%s%s\n", benchListening, url)
	}
	if err == nil {
		eof := make(chan struct{})
		go func() {
			if e.stdin != nil {
				_, _ = io.Copy(io.Discard, e.stdin)
			}
			close(eof)
		}()
		select {
		case <-eof:
		case <-ctx.Done():
		}
	}
	if shutdown != nil {
		shutdown()
	}
	if fl != nil {
		if cerr := fl.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err == nil {
			fmt.Fprintf(e.stderr, "floor: %d bodies in %d fdatasyncs\n", fl.Writes(), fl.Syncs())
		}
	}
	if err != nil {
		return fmt.Errorf("bench %s: %w", name, err)
	}
	return nil
}

// benchRatios compares hookgate's requests/s with the references', when
// both were measured.
func benchRatios(runs []benchRun) map[string]float64 {
	rps := map[string]float64{}
	for _, r := range runs {
		rps[r.Name] = r.RPS
	}
	ratios := map[string]float64{}
	for _, ref := range []string{"floor", "ceiling"} {
		if hg, ok := rps["hookgate"]; ok && rps[ref] > 0 {
			ratios["hookgate/"+ref] = hg / rps[ref]
		}
	}
	if len(ratios) == 0 {
		return nil
	}
	return ratios
}

// medianRatios is, for each ratio, its median over the rounds.
func medianRatios(rounds []map[string]float64) map[string]float64 {
	median := map[string]float64{}
	for _, name := range []string{"hookgate/floor", "hookgate/ceiling"} {
		var vs []float64
		for _, r := range rounds {
			if v, ok := r[name]; ok {
				vs = append(vs, v)
			}
		}
		if len(vs) == 0 {
			continue
		}
		slices.Sort(vs)
		if n := len(vs); n%2 == 1 {
			median[name] = vs[n/2]
		} else {
			median[name] = (vs[n/2-1] + vs[n/2]) / 2
		}
	}
	return median
}

func writeBenchTable(w io.Writer, out benchOutput) error {
	var bound string
	switch {
	case out.Requests > 0 && out.Duration > 0:
		bound = fmt.Sprintf("%d requests or %s", out.Requests, out.Duration)
	case out.Requests > 0:
		bound = fmt.Sprintf("%d requests", out.Requests)
	default:
		bound = out.Duration.String()
	}
	var refs string
	for _, r := range out.Runs {
		if r.Name == "ceiling" || r.Name == "floor" {
			refs = "; references run as separate processes"
		}
	}
	fmt.Fprintf(w, "%d connections, %s per run after a %s warm-up, %d-byte bodies%s\n\n", out.Connections, bound, out.Warmup, out.BodySize, refs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	// Numbers align right; names are padded to one width so they align left.
	name := func(r benchRun) string {
		if r.Round > 0 {
			return fmt.Sprintf("%s (%d)", r.Name, r.Round)
		}
		return r.Name
	}
	width := len("target")
	for _, r := range out.Runs {
		width = max(width, len(name(r)))
	}
	fmt.Fprintf(tw, "%-*s\treq/s\tp50\tp90\tp99\tmax\terrors\t\n", width, "target")
	for _, r := range out.Runs {
		fmt.Fprintf(tw, "%-*s\t%.0f\t%s\t%s\t%s\t%s\t%d\t\n", width, name(r), r.RPS,
			bench.FormatLatency(r.P50), bench.FormatLatency(r.P90), bench.FormatLatency(r.P99), bench.FormatLatency(r.Max), r.Errors)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// each is the ratio's rounds, when there were several.
	each := func(ratio string) string {
		if len(out.RoundRatios) == 0 {
			return ""
		}
		vs := make([]string, len(out.RoundRatios))
		for i, r := range out.RoundRatios {
			vs[i] = fmt.Sprintf("%.2f", r[ratio])
		}
		return fmt.Sprintf("  median of %d rounds: %s", len(vs), strings.Join(vs, " "))
	}
	if r, ok := out.Ratios["hookgate/floor"]; ok {
		fmt.Fprintf(w, "\nhookgate/floor    %.2f  (foundation target >= 0.50, product target >= 0.80)%s\n", r, each("hookgate/floor"))
	}
	if r, ok := out.Ratios["hookgate/ceiling"]; ok {
		fmt.Fprintf(w, "hookgate/ceiling  %.2f%s\n", r, each("hookgate/ceiling"))
	}
	for _, r := range out.Runs {
		if r.Errors > 0 {
			fmt.Fprintf(w, "%s: %d of %d requests failed, e.g. %s\n", r.Name, r.Errors, r.Requests, r.ErrorSample)
		}
	}
	return nil
}

// benchSigner returns what signs each benchmark request as provider would,
// or nil for unsigned requests. Every request gets its own delivery id, so
// hookgate's dedup never takes the short path.
//
// githubSigner stands in for verify.NewSigner until that lands; the swap is
//
//	s, err := verify.NewSigner(provider, verify.Options{Secrets: []string{secret}})
//
// in place of the switch below.
func benchSigner(provider, secret string) (func(*http.Request, []byte) error, error) {
	if provider == "none" {
		return nil, nil
	}
	if !slices.Contains(verify.Names(), provider) {
		return nil, fmt.Errorf("bench: --provider %q: not one of none, %s", provider, strings.Join(verify.Names(), ", "))
	}
	var s verify.Signer
	if secret != "" {
		var err error
		if s, err = verify.NewSigner(provider, verify.Options{Secrets: []string{secret}}); err != nil {
			return nil, fmt.Errorf("bench: --provider %q: %w", provider, err)
		}
	}
	return func(req *http.Request, body []byte) error {
		// A GitHub-shaped event with a fresh delivery id, so dedup never hits.
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", uuid.NewString())
		if s == nil {
			return nil
		}
		// Header is shared, so what Sign sets lands on req.
		return s.Sign(&verify.Request{Method: req.Method, URL: req.URL, Header: req.Header, Body: body, Now: time.Now()})
	}, nil
}
