package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runReloadCmd runs `hookgate reload args...` and returns its stdout and
// error.
func runReloadCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout bytes.Buffer
	e := &env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &stdout, stderr: io.Discard}
	cmd := newReloadCmd(e)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.ExecuteContext(t.Context())
	return stdout.String(), err
}

// TestHUPChild is the process TestReloadSendsSIGHUP signals: this test
// binary, run again, that prints "ready", then "got-hup" and exits 0 on
// SIGHUP (it would die of it otherwise). Go's signal.Notify catches SIGHUP
// even when the process started with it ignored (under nohup), as
// `hookgate serve` does; a shell's trap could not.
func TestHUPChild(t *testing.T) {
	if os.Getenv("HOOKGATE_TEST_HUP_CHILD") != "1" {
		t.Skip("run by TestReloadSendsSIGHUP only")
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	fmt.Println("ready")
	select {
	case <-hup:
		fmt.Println("got-hup")
		os.Exit(0)
	case <-time.After(30 * time.Second):
		os.Exit(3)
	}
}

// --pid-file sends SIGHUP to the process whose id the file holds.
func TestReloadSendsSIGHUP(t *testing.T) {
	t.Parallel()
	sh := exec.Command(os.Args[0], "-test.run=^TestHUPChild$")
	sh.Env = append(os.Environ(), "HOOKGATE_TEST_HUP_CHILD=1")
	stdout, err := sh.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sh.Process.Kill() })
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "ready" { // the trap is set
		t.Fatalf("the child printed %q, want ready", lines.Text())
	}
	pidFile := filepath.Join(t.TempDir(), "hookgate.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(sh.Process.Pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	printed, err := runReloadCmd(t, "--pid-file", pidFile)
	if err != nil {
		t.Fatalf("reload --pid-file: %v", err)
	}
	if want := "sent SIGHUP to process " + strconv.Itoa(sh.Process.Pid); !strings.Contains(printed, want) {
		t.Errorf("printed %q, want %q", printed, want)
	}
	got := make(chan string, 1)
	go func() {
		lines.Scan()
		got <- lines.Text()
	}()
	select {
	case line := <-got:
		if line != "got-hup" {
			t.Errorf("the child printed %q, want got-hup", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the child did not get SIGHUP")
	}
	if err := sh.Wait(); err != nil {
		t.Errorf("the child exited with %v, want 0 (its SIGHUP handler)", err)
	}
}

func TestReloadRefusesBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pid")
	if err := os.WriteFile(garbage, []byte("not a pid\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--pid", "1", "--pid-file", garbage}, "give --pid or --pid-file, not both"},
		{[]string{"--pid-file", garbage}, `holds "not a pid", not a process id`},
		{[]string{"--pid-file", filepath.Join(dir, "missing.pid")}, "read pid file: open"},
		{[]string{"--pid", "-3"}, "invalid process id -3"},
		{[]string{"--gateway", "http://127.0.0.1:1"}, "no API token"},
	} {
		if _, err := runReloadCmd(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("reload %v = %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}

// serve writes server.pid_file and removes it on exit, unless another
// process has taken it over meanwhile.
func TestPIDFileLifecycle(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookgate.pid")
	if err := writePIDFile(path); err != nil {
		t.Fatal(err)
	}
	if n, err := readPIDFile(path); err != nil || n != os.Getpid() {
		t.Fatalf("pid file holds %d, %v; want %d", n, err, os.Getpid())
	}
	removePIDFile(path)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("after remove: %v, want the file gone", err)
	}
	if err := os.WriteFile(path, []byte("1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	removePIDFile(path)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("another process's pid file was removed: %v", err)
	}
	if err := writePIDFile(filepath.Join(path, "sub")); err == nil || !strings.Contains(err.Error(), "server.pid_file") {
		t.Errorf("writing under a file = %v, want a server.pid_file error", err)
	}
}
