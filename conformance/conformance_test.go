package conformance

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/gatewaytest"

	"github.com/hookgate/hookgate/internal/verify"
)

// TestConformance signs the corpus with the providers' SDKs (gen.mjs),
// serves every case's source config from the real hookgate binary, replays
// each case over HTTP and compares hookgate's answer with the case's.
// Cases whose source hookgate refuses (a preset that does not exist yet, an
// unknown config field) fail the test by name: none is skipped silently.
func TestConformance(t *testing.T) {
	requireNode(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	// The build and an npm install (when node_modules is missing) overlap.
	start := time.Now()
	type built struct {
		bin string
		err error
	}
	bc := make(chan built, 1)
	go func() {
		if bin := os.Getenv("HOOKGATE_BIN"); bin != "" {
			bc <- built{bin, nil} // a binary built elsewhere, such as a release
			return
		}
		bin, err := gatewaytest.Build(ctx, dir)
		bc <- built{bin, err}
	}()
	installModules(ctx, t)
	b := <-bc
	if b.err != nil {
		t.Fatal(b.err)
	}
	tBuild := time.Since(start)

	// The source configs do not depend on the clock (gen.mjs derives its
	// test keys from fixed seeds), so hookgate is configured and started
	// from a first corpus; the second one, generated while it runs, is sent
	// at once and its timestamps are fresh.
	probe := generate(ctx, t, filepath.Join(dir, "probe.json"))
	names, dropped := servable(t, b.bin, dir, probe.Sources)
	var addr string
	if len(names) > 0 {
		cfg := filepath.Join(dir, "hookgate.yaml")
		if err := os.WriteFile(cfg, []byte(configYAML(filepath.Join(dir, "data", "hookgate.db"), probe.Sources, names)), 0o600); err != nil {
			t.Fatal(err)
		}
		addr = gatewaytest.Start(t, b.bin, cfg, nil).Addr
	}

	genStart := time.Now()
	c := generate(ctx, t, "corpus.json")
	tGen := time.Since(genStart)
	if !reflect.DeepEqual(c.Sources, probe.Sources) {
		t.Fatal("gen.mjs wrote different source configs on two runs; they must not depend on the clock or on chance")
	}
	results := sendAll(t, addr, c, names)
	tRun := time.Since(genStart)

	report(t, c, results, dropped)
	logUncovered(t, c)
	t.Logf("timing: build+install %v, gen.mjs %v, gen to last answer %v; node %s", tBuild.Round(time.Millisecond), tGen.Round(time.Millisecond), tRun.Round(time.Millisecond), c.Node)
}

// requireNode fails under CI and skips elsewhere when node or npm is missing.
func requireNode(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := fmt.Sprintf("conformance: %s is not on PATH; the suite signs its cases with the providers' npm SDKs and needs Node.js 20+ and npm (https://nodejs.org)", tool)
			if ci := os.Getenv("CI"); ci == "true" || ci == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg + " (skipped outside CI)")
		}
	}
}

// installModules runs `npm ci` when node_modules is missing (test.sh runs
// it before go test; this is for `go test .` alone).
func installModules(ctx context.Context, t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join("node_modules", ".package-lock.json")); err == nil {
		return
	}
	t.Log("conformance: node_modules missing, running npm ci")
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}
}

// generate runs gen.mjs, which writes the corpus to out and exits non-zero
// when an SDK's verdict contradicts a case.
func generate(ctx context.Context, t *testing.T, out string) *corpus {
	t.Helper()
	cmd := exec.CommandContext(ctx, "node", "gen.mjs", "--out", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if _, err := cmd.Output(); err != nil {
		t.Fatalf("node gen.mjs: %v\n%s", err, stderr.String())
	}
	c, err := readCorpus(out)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// result is what happened to one case.
type result struct {
	c      testCase
	ran    bool
	ok     bool
	got    string // status, content type and body, for the message
	ageSec float64
}

// sendAll replays the cases of the served sources, those with the shortest
// timestamp window first (Paddle's lives 5 s).
func sendAll(t *testing.T, addr string, c *corpus, served []string) []result {
	t.Helper()
	order := make([]int, len(c.Cases))
	for i := range order {
		order[i] = i
	}
	tol := func(k testCase) float64 {
		if k.Tolerance == nil {
			return 1e12
		}
		return *k.Tolerance
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(tol(c.Cases[a]), tol(c.Cases[b])) })
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	results := make([]result, len(c.Cases))
	for _, i := range order {
		k := c.Cases[i]
		results[i] = result{c: k}
		if !slices.Contains(served, k.Source) {
			continue
		}
		r := &results[i]
		r.ran = true
		if k.SignedAt != nil {
			r.ageSec = float64(time.Now().UnixMilli())/1000 - float64(*k.SignedAt)
		}
		status, ct, body, err := send(client, addr, k)
		if err != nil {
			r.got = err.Error()
			continue
		}
		r.got = fmt.Sprintf("%d %s %q", status, ct, clip(body))
		r.ok = matches(k.Expected, status, ct, body)
	}
	return results
}

// send makes k's request, byte for byte, to the gateway at addr.
func send(client *http.Client, addr string, k testCase) (status int, contentType, body string, err error) {
	u := &url.URL{Scheme: "http", Host: addr, Path: k.Path, RawQuery: k.Query}
	req, err := http.NewRequest(k.Method, u.String(), strings.NewReader(k.Body))
	if err != nil {
		return 0, "", "", err
	}
	if k.Body == "" {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for name, v := range k.Headers {
		if strings.EqualFold(name, "Host") {
			req.Host = v
			continue
		}
		req.Header[name] = []string{v} // as the provider spells it
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, "", "", fmt.Errorf("read answer: %w", err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b), nil
}

// matches reports whether an answer is the one e asks for.
func matches(e expected, status int, contentType, body string) bool {
	switch {
	case e.Accepted:
		var a struct{ Status string }
		return status == http.StatusOK && json.Unmarshal([]byte(body), &a) == nil &&
			(a.Status == "accepted" || a.Status == "duplicate")
	case len(e.StatusIn) > 0:
		return slices.Contains(e.StatusIn, status)
	case status != e.Status:
		return false
	case e.ContentType == "" && e.Body == nil:
		return true
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	want := append([]alternative{{e.ContentType, deref(e.Body)}}, e.Alternatives...)
	for _, w := range want {
		if (w.ContentType == "" || w.ContentType == mt) && (e.Body == nil || w.Body == body) {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// report logs per-provider pass counts and fails on every mismatch and on
// every case that could not run.
func report(t *testing.T, c *corpus, results []result, dropped map[string]string) {
	t.Helper()
	type tally struct{ pass, fail, notRun int }
	byProvider := map[string]*tally{}
	var fails []string
	notRun := map[string][]string{} // source -> case ids
	for _, r := range results {
		k := r.c
		n := byProvider[k.Provider]
		if n == nil {
			n = &tally{}
			byProvider[k.Provider] = n
		}
		switch {
		case !r.ran:
			n.notRun++
			notRun[k.Source] = append(notRun[k.Source], k.ID)
		case r.ok:
			n.pass++
		default:
			n.fail++
			msg := fmt.Sprintf("%s [%s, %s]: got %s, want %s\n\t\t%s", k.ID, k.Category, k.Strictness, r.got, k.Expected, k.Reason)
			if k.Divergence != nil {
				msg += "\n\t\tSDK divergence: " + *k.Divergence
			}
			if k.Expect == "accept" && k.Tolerance != nil && r.ageSec > *k.Tolerance {
				msg += fmt.Sprintf("\n\t\tsent %.1fs after signing, beyond its %gs window: the run was too slow, not necessarily the preset", r.ageSec, *k.Tolerance)
			}
			fails = append(fails, msg)
		}
	}
	var pass, total int
	for _, p := range slices.Sorted(maps.Keys(byProvider)) {
		n := byProvider[p]
		line := fmt.Sprintf("%-18s %3d/%-3d passed", p, n.pass, n.pass+n.fail+n.notRun)
		if n.notRun > 0 {
			line += fmt.Sprintf(", %d not run", n.notRun)
		}
		t.Log(line)
		pass += n.pass
		total += n.pass + n.fail + n.notRun
	}
	var tight *result
	for i := range results {
		r := &results[i]
		if r.ran && r.c.Expect == "accept" && r.c.Tolerance != nil && r.c.SignedAt != nil &&
			(tight == nil || *r.c.Tolerance-r.ageSec < *tight.c.Tolerance-tight.ageSec) {
			tight = r
		}
	}
	if tight != nil {
		t.Logf("tightest window: %s sent %.2fs after signing (window %gs)", tight.c.ID, tight.ageSec, *tight.c.Tolerance)
	}
	skipped := total - pass - len(fails)
	t.Logf("conformance: %d/%d cases passed, %d failed, %d not run", pass, total, len(fails), skipped)
	for _, f := range fails {
		t.Errorf("FAIL %s", f)
	}
	for _, src := range slices.Sorted(maps.Keys(notRun)) {
		ids := notRun[src]
		t.Errorf("NOT RUN: hookgate refused source %q (provider %q): %s\n\t\t%d cases: %s",
			src, c.Sources[src]["provider"], dropped[src], len(ids), strings.Join(ids, ", "))
	}
}

// logUncovered names the presets that no case exercises, so that the gap
// stays visible as presets are added.
func logUncovered(t *testing.T, c *corpus) {
	t.Helper()
	covered := map[string]bool{}
	for _, cfg := range c.Sources {
		covered[fmt.Sprint(cfg["provider"])] = true
	}
	var missing []string
	for _, name := range verify.Names() {
		if !covered[name] {
			missing = append(missing, name)
		}
	}
	t.Logf("presets with conformance cases: %d of %d; without: %s", len(verify.Names())-len(missing), len(verify.Names()), strings.Join(missing, " "))
}
