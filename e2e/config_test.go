package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Bad configs stop the process before it listens, naming the file, line and
// field; `check` validates without serving.
func TestConfigErrors(t *testing.T) {
	t.Parallel()
	// Decode problems (env, durations, unknown keys) are reported together;
	// validation problems (references between sections) once it decodes.
	good := `listen: "127.0.0.1:0"
storage: { driver: sqlite, path: ./data/hookgate.db }
sources:
  - { name: github, provider: github, secret: "${E2E_UNSET_SECRET_VAR}" }
destinations:
  - { name: app, url: "http://127.0.0.1:9/hooks", timeout: 5x }
routes:
  - { from: [github, gitlab], to: [app] }
`
	cases := []struct {
		name string
		cfg  string
		want []string
	}{
		{"missing env var", good, []string{"hookgate.yaml:4:", "E2E_UNSET_SECRET_VAR"}},
		{"bad duration", good, []string{"hookgate.yaml:6:", "timeout", `"5x"`}},
		{"unknown source in route", strings.NewReplacer("${E2E_UNSET_SECRET_VAR}", "x", "5x", "5s").Replace(good), []string{"hookgate.yaml:8:", "routes[0].from[1]", `"gitlab"`}},
		{"unknown key", "listen: \"127.0.0.1:0\"\nsourcez: []\n", []string{"hookgate.yaml:2:", "sourcez"}},
	}
	for _, c := range cases {
		for _, cmd := range []string{"check", "serve"} {
			t.Run(c.name+"/"+cmd, func(t *testing.T) {
				dir := t.TempDir()
				p := writeConfig(t, dir, c.cfg)
				run := exec.Command(binary(t), cmd, "--config", p)
				run.Dir = dir
				done := make(chan struct{})
				var out []byte
				var err error
				go func() { out, err = run.CombinedOutput(); close(done) }()
				select {
				case <-done:
				case <-time.After(20 * time.Second):
					run.Process.Kill()
					t.Fatalf("%s did not exit on a bad config", cmd)
				}
				if err == nil {
					t.Fatalf("%s exited 0 on a bad config:\n%s", cmd, out)
				}
				for _, w := range c.want {
					if !strings.Contains(string(out), w) {
						t.Errorf("output lacks %q:\n%s", w, out)
					}
				}
				if strings.Contains(string(out), `"msg":"listening"`) {
					t.Errorf("%s listened despite a bad config", cmd)
				}
			})
		}
	}

	t.Run("check accepts the quickstart example", func(t *testing.T) {
		out, err := exec.Command(binary(t), "check", "--config", filepath.Join("..", "examples", "quickstart.yaml")).CombinedOutput()
		if err != nil {
			t.Fatalf("check quickstart: %v\n%s", err, out)
		}
	})
	t.Run("check accepts the https example", func(t *testing.T) {
		out, err := exec.Command(binary(t), "check", "--config", filepath.Join("..", "examples", "https.yaml")).CombinedOutput()
		if err != nil {
			t.Fatalf("check https: %v\n%s", err, out)
		}
	})
}
