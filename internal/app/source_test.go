package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/internal/config"
)

func TestPlanAuth(t *testing.T) {
	t.Parallel()
	yml := `sources:
  - name: queue
    auth: { bearer: { tokens: [t] } }
    required_headers: [x-topic]
  - name: gh
    provider: github
    secret: s
`
	cfg, err := config.Parse("x.yaml", []byte(yml), config.Options{CheckSource: CheckSource})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	q, gh := p.Sources[0], p.Sources[1]
	if q.Provider != nil || q.Auth == nil || len(q.RequiredHeaders) != 1 {
		t.Errorf("queue: provider %v, auth %v, required headers %q; want no provider, auth, [x-topic]", q.Provider, q.Auth, q.RequiredHeaders)
	}
	if gh.Provider == nil || gh.Auth != nil {
		t.Errorf("gh: provider %v, auth %v; want a provider and a nil Auth", gh.Provider, gh.Auth)
	}
}

// A JWKS file that config can read but that holds no key is reported at
// its line, by CheckSource, and by NewPlan at the source.
func TestPlanAuthErrors(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, []byte(`{"keys": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	yml := "sources:\n  - name: queue\n    auth:\n      jwt:\n        algorithms: [RS256]\n        jwks_file: " + path + "\n"
	_, err := config.Parse("x.yaml", []byte(yml), config.Options{CheckSource: CheckSource})
	want := "x.yaml:6: sources[0].auth.jwt.jwks_file: " + path + ": no usable public key in the JWK Set (0 keys)"
	if err == nil || err.Error() != want {
		t.Errorf("Parse: got %v, want %s", err, want)
	}
	cfg, err := config.Parse("x.yaml", []byte(yml), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewPlan(cfg, nil)
	if err == nil || !strings.HasPrefix(err.Error(), `x.yaml:2: source "queue": auth.jwt.jwks_file: `) {
		t.Errorf("NewPlan: got %v, want an error at x.yaml:2 naming auth.jwt.jwks_file", err)
	}
}
