// Package deploy holds the Dockerfile and the systemd unit; its tests check
// the unit.
package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/config"
)

// unitValue returns the value of key in hookgate.service.
func unitValue(t *testing.T, key string) string {
	t.Helper()
	f, err := os.Open("hookgate.service")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+"="); ok {
			return v
		}
	}
	t.Fatalf("hookgate.service has no %s", key)
	return ""
}

// systemd-analyze verify finds nothing to say about the unit: no unknown
// key, no value it cannot parse. It needs ExecStart's binary to exist, so
// the unit is checked with the path pointed at a stand-in.
func TestUnitVerifies(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze is required under CI=true (apt-get install systemd)")
		}
		t.Skip("systemd-analyze not installed (apt-get install systemd)")
	}
	unit, err := os.ReadFile("hookgate.service")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "hookgate")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(unit), "/usr/local/bin/hookgate", bin)
	if text == string(unit) {
		t.Fatal("ExecStart is not /usr/local/bin/hookgate")
	}
	path := filepath.Join(dir, "hookgate.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// systemd waits longer than the default drain before it kills hookgate.
func TestUnitStopTimeout(t *testing.T) {
	t.Parallel()
	stop, err := time.ParseDuration(unitValue(t, "TimeoutStopSec"))
	if err != nil {
		t.Fatal(err)
	}
	var c config.Config
	c.SetDefaults()
	if drain := c.Server.ShutdownTimeout.D(); stop <= drain {
		t.Errorf("TimeoutStopSec %v, want more than the default server.shutdown_timeout %v", stop, drain)
	}
}

// The unit runs what the image runs, and reloads with SIGHUP.
func TestUnitMatchesImage(t *testing.T) {
	t.Parallel()
	docker, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	const entry = `ENTRYPOINT ["/usr/local/bin/hookgate", "serve", "--config", "/etc/hookgate/hookgate.yaml"]`
	if !strings.Contains(string(docker), entry+"\n") {
		t.Errorf("Dockerfile lacks %s", entry)
	}
	if got, want := unitValue(t, "ExecStart"), "/usr/local/bin/hookgate serve --config /etc/hookgate/hookgate.yaml"; got != want {
		t.Errorf("ExecStart=%s, want %s", got, want)
	}
	if got, want := unitValue(t, "ExecReload"), "/bin/kill -HUP $MAINPID"; got != want {
		t.Errorf("ExecReload=%s, want %s", got, want)
	}
}
