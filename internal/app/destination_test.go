package app

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/destination"
)

// config checks key templates against its own list of variables, for
// errors at the key's line; the destination is what renders them.
func TestS3KeyVarsAgree(t *testing.T) {
	t.Parallel()
	if diff := cmp.Diff(destination.KeyVars(), config.S3KeyVars()); diff != "" {
		t.Errorf("config.S3KeyVars differs from destination.KeyVars (-destination +config):\n%s", diff)
	}
}

func TestPlanDestinationKinds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	yml := fmt.Sprintf(`destinations:
  - name: run
    exec: { command: [/bin/sh, -c, "cat >/dev/null"], permanent_exit_codes: [64] }
    concurrency: 2
  - name: archive
    file: { path: %s, sync: never }
  - name: bucket
    s3: { bucket: hooks, endpoint: "http://127.0.0.1:9000", path_style: true, access_key_id: a, secret_access_key: s }
  - name: app
    url: "https://hooks.example.com/in"
    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
    ssrf_guard: true
    allow_cidrs: [10.1.2.0/24]
`, filepath.Join(dir, "events.jsonl"))
	cfg, err := config.Parse("x.yaml", []byte(yml), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for name, tg := range p.Targets {
		got[name] = fmt.Sprintf("%T", tg.Destination)
	}
	want := map[string]string{"run": "*destination.Exec", "archive": "*destination.File", "bucket": "*destination.S3", "app": "*destination.HTTP"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	if c := p.Targets["run"].Concurrency; c != 2 {
		t.Errorf("run's concurrency = %d, want 2", c)
	}
}

// What only building the destination can find is reported at the
// destination's line.
func TestPlanDestinationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		dest string
		want string
	}{
		{"unknown program", `exec: { command: [hookgate-no-such-program] }`,
			`x.yaml:2: destination "d": command: exec: "hookgate-no-such-program": executable file not found in $PATH`},
		{"secret not base64", `url: "http://h/"` + "\n    secret: \"not base64!\"",
			`x.yaml:2: destination "d": secret: standardwebhooks: secret is not base64 (after an optional "whsec_" prefix)`},
		{"missing ca file", `url: "https://h/"` + "\n    tls: { ca_file: /no/such/ca.pem }",
			`x.yaml:2: destination "d": tls: ca_file: open /no/such/ca.pem: no such file or directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			yml := "destinations:\n  - name: d\n    " + tt.dest + "\n"
			cfg, err := config.Parse("x.yaml", []byte(yml), config.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = NewPlan(cfg, nil)
			if err == nil || err.Error() != tt.want {
				t.Errorf("NewPlan: got\n%v\nwant\n%s", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "not base64!") {
				t.Errorf("NewPlan's error quotes the secret: %v", err)
			}
		})
	}
}
