package conformance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildHookgate builds the real binary into dir.
func buildHookgate(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "hookgate")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/hookgate/hookgate/cmd/hookgate").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build cmd/hookgate: %v\n%s", err, out)
	}
	return bin, nil
}

// sourceFieldRE finds the source a `hookgate check` error is about.
var sourceFieldRE = regexp.MustCompile(`sources\[(\d+)\]`)

// servable runs `hookgate check` on a config of every source and drops the
// sources it refuses, until the rest pass. It returns the names kept and,
// for each source dropped, hookgate's words about it: a preset that does not
// exist yet, or a config field it does not know.
func servable(t *testing.T, bin, dir string, sources map[string]map[string]any) ([]string, map[string]string) {
	t.Helper()
	names := slices.Sorted(maps.Keys(sources))
	dropped := map[string]string{}
	cfg := filepath.Join(dir, "check.yaml")
	for len(names) > 0 {
		if err := os.WriteFile(cfg, []byte(configYAML(filepath.Join(dir, "check.db"), sources, names)), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "check", "--config", cfg).CombinedOutput()
		if err == nil {
			return names, dropped
		}
		bad := map[int]bool{}
		for line := range strings.Lines(string(out)) {
			m := sourceFieldRE.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			i, _ := strconv.Atoi(m[1])
			if i < len(names) {
				bad[i] = true
				// Keep what follows "sources[N]", the field and the complaint:
				// the index and the file are the temporary config's.
				msg := strings.TrimSpace(line)
				msg = strings.TrimLeft(msg[strings.Index(msg, m[0])+len(m[0]):], ".: ")
				if prev := dropped[names[i]]; prev != "" {
					msg = prev + "; " + msg
				}
				dropped[names[i]] = msg
			}
		}
		if len(bad) == 0 {
			t.Fatalf("hookgate check refused the generated config, naming no source: %v\n%s", err, out)
		}
		var kept []string
		for i, n := range names {
			if !bad[i] {
				kept = append(kept, n)
			}
		}
		names = kept
	}
	return names, dropped
}

// gateway is a running `hookgate serve`.
type gateway struct {
	cmd    *exec.Cmd
	addr   string
	stderr *syncBuffer
	done   chan struct{}
	err    error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startGateway runs `hookgate serve --config cfg` and waits for its
// {"msg":"listening","addr":...} log line. The process is killed when the
// test ends.
func startGateway(t *testing.T, bin, cfg string) *gateway {
	t.Helper()
	g := &gateway{stderr: &syncBuffer{}, done: make(chan struct{})}
	g.cmd = exec.Command(bin, "serve", "--config", cfg)
	pr, pw := io.Pipe()
	g.cmd.Stdout = io.Discard
	g.cmd.Stderr = pw
	if err := g.cmd.Start(); err != nil {
		t.Fatalf("start hookgate: %v", err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			g.stderr.Write([]byte(line + "\n"))
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" && rec.Addr != "" {
				select {
				case addrc <- rec.Addr:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() {
		g.err = g.cmd.Wait()
		pw.Close()
		close(g.done)
	}()
	t.Cleanup(func() {
		_ = g.cmd.Process.Signal(syscall.SIGKILL)
		<-g.done
	})
	select {
	case g.addr = <-addrc:
	case <-g.done:
		t.Fatalf("hookgate exited before listening: %v\nstderr:\n%s", g.err, g.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("hookgate did not listen within 30s\nstderr:\n%s", g.stderr.String())
	}
	return g
}
