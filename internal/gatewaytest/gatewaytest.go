// Package gatewaytest builds the real hookgate binary and runs it as a
// process for tests (e2e, conformance): it waits for the gateway's
// {"msg":"listening","addr":...} log line and kills the process when the test
// ends.
package gatewaytest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Build builds cmd/hookgate into dir and returns the binary's path.
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "hookgate")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/hookgate/hookgate/cmd/hookgate").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build cmd/hookgate: %v\n%s", err, out)
	}
	return bin, nil
}

// Buffer is a bytes.Buffer safe for one writer and many readers.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Process is a running `hookgate serve`.
type Process struct {
	Cmd    *exec.Cmd
	Addr   string // host:port it listens on
	Stdout *Buffer
	Stderr *Buffer
	// Done is closed when the process has exited; Err is then its exit error.
	Done chan struct{}
	Err  error
}

// Start runs `bin serve --config cfg` with env added to the environment
// (cmd.Env is left to the caller when env is nil) and waits until it
// listens. The process is killed when the test ends.
func Start(t testing.TB, bin, cfg string, env []string) *Process {
	t.Helper()
	p := &Process{Stdout: &Buffer{}, Stderr: &Buffer{}, Done: make(chan struct{})}
	p.Cmd = exec.Command(bin, "serve", "--config", cfg)
	if env != nil {
		p.Cmd.Env = env
	}
	p.Cmd.Stdout = p.Stdout
	pr, pw := io.Pipe()
	p.Cmd.Stderr = pw
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start hookgate: %v", err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.Stderr.Write([]byte(line + "\n"))
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
		p.Err = p.Cmd.Wait()
		pw.Close()
		close(p.Done)
	}()
	t.Cleanup(p.Kill)
	select {
	case p.Addr = <-addrc:
	case <-p.Done:
		t.Fatalf("hookgate exited before listening: %v\nstderr:\n%s", p.Err, p.Stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("hookgate did not listen within 30s\nstderr:\n%s", p.Stderr.String())
	}
	return p
}

// Kill sends SIGKILL and waits for the process to exit.
func (p *Process) Kill() {
	if p.Cmd.Process != nil {
		_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.Done
}

// Stop sends SIGTERM and waits up to timeout for the process to exit,
// returning an error unless it exited cleanly in time.
func (p *Process) Stop(timeout time.Duration) error {
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Done:
	case <-time.After(timeout):
		return fmt.Errorf("hookgate did not stop within %v after SIGTERM\nstderr:\n%s", timeout, p.Stderr.String())
	}
	if p.Err != nil {
		return fmt.Errorf("hookgate exited with %v after SIGTERM\nstderr:\n%s", p.Err, p.Stderr.String())
	}
	return nil
}
