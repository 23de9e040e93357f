package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// checkSource stands in for the provider registry: it knows four providers,
// each needing a secret.
func checkSource(s Source) error {
	switch s.Provider {
	case "github", "x", "hmac", "standardwebhooks":
	default:
		return fmt.Errorf("unknown provider %q", s.Provider)
	}
	if len(s.AllSecrets()) == 0 {
		return &FieldError{Field: "secret", Err: fmt.Errorf("required by provider %q", s.Provider)}
	}
	return nil
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestIssueExample(t *testing.T) {
	t.Parallel()
	opts := Options{
		Getenv:      env("GITHUB_WEBHOOK_SECRET", "gh-secret", "X_CONSUMER_SECRET", "x-secret"),
		CheckSource: checkSource,
	}
	got, err := Load("testdata/issue_example.yaml", opts)
	if err != nil {
		t.Fatal(err)
	}
	app := Retry{MaxAttempts: 5, Initial: Duration(200 * time.Millisecond), Max: Duration(5 * time.Second)}
	want := &Config{
		Listen:  "127.0.0.1:8080",
		Storage: Storage{Driver: "sqlite", Path: "./data/hookgate.db"},
		Server: Server{
			ReadHeaderTimeout: Duration(5 * time.Second),
			ReadTimeout:       Duration(30 * time.Second),
			WriteTimeout:      Duration(30 * time.Second),
			IdleTimeout:       Duration(120 * time.Second),
			ShutdownTimeout:   Duration(30 * time.Second),
			MaxHeaderBytes:    64 * KiB,
		},
		Delivery:  Delivery{Batch: 128, Lease: Duration(time.Minute), Poll: Duration(time.Second)},
		Retention: defaultRetention,
		Metrics:   defaultMetrics,
		Tracing:   defaultTracing,
		Log:       Log{Level: "info", Format: "json"},
		Sources: []Source{
			{Name: "github", Provider: "github", Secret: "gh-secret", MaxBody: MiB, Line: 4},
			{Name: "x", Provider: "x", Secret: "x-secret", MaxBody: MiB, Line: 5},
			{Name: "orders", Provider: "hmac", Secret: "s3cret", MaxBody: MiB, Line: 6,
				HMAC: &HMAC{Header: "x-hmac", Algorithm: "sha256", Encoding: "hex"}},
		},
		Destinations: []Destination{
			{Name: "app", Type: "http", URL: "http://127.0.0.1:9000/hooks", Method: "POST",
				Timeout: Duration(5 * time.Second), Concurrency: 16, Retry: app, Line: 8},
			{Name: "console", Type: "log", Timeout: Duration(10 * time.Second), Concurrency: 16,
				Retry: Retry{MaxAttempts: 8, Initial: Duration(time.Second), Max: Duration(time.Hour)}, Line: 9},
		},
		Routes: []Route{{From: []string{"github", "x", "orders"}, To: []string{"app", "console"}, Line: 11}},
		File:   "testdata/issue_example.yaml",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}
}

func TestIssueExampleUnsetEnv(t *testing.T) {
	t.Parallel()
	_, err := Load("testdata/issue_example.yaml", Options{Getenv: env("X_CONSUMER_SECRET", "x"), CheckSource: checkSource})
	want := "testdata/issue_example.yaml:4: sources[0].secret: environment variable GITHUB_WEBHOOK_SECRET is not set"
	if err == nil || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Line != 4 || fe.Field != "sources[0].secret" {
		t.Errorf("errors.As(%v) = %+v; want a *FieldError at line 4, sources[0].secret", err, fe)
	}

	_, err = Load("testdata/issue_example.yaml", Options{})
	want = "testdata/issue_example.yaml:4: sources[0].secret: environment variable GITHUB_WEBHOOK_SECRET is not set\n" +
		"testdata/issue_example.yaml:5: sources[1].secret: environment variable X_CONSUMER_SECRET is not set"
	if err == nil || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
}

// The quick start runs on a fresh machine: no variables set.
func TestQuickstartExample(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "..", "examples", "quickstart.yaml")
	c, err := Load(path, Options{Getenv: env(), CheckSource: checkSource})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Sources[0].Secret, "dev-github-secret"; got != want {
		t.Errorf("github secret = %q, want %q", got, want)
	}
	if got, want := c.Sources[1].Secret, "dev-x-secret"; got != want {
		t.Errorf("x secret = %q, want %q", got, want)
	}
	c, err = Load(path, Options{Getenv: env("GITHUB_WEBHOOK_SECRET", "real"), CheckSource: checkSource})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Sources[0].Secret, "real"; got != want {
		t.Errorf("github secret = %q, want %q", got, want)
	}

	// Apart from the defaults, the comments and the API token that opens the
	// web UI, it is the issue's example.
	issue, err := Load("testdata/issue_example.yaml", Options{Getenv: env("GITHUB_WEBHOOK_SECRET", "a", "X_CONSUMER_SECRET", "b")})
	if err != nil {
		t.Fatal(err)
	}
	quick, err := Load(path, Options{Getenv: env("GITHUB_WEBHOOK_SECRET", "a", "X_CONSUMER_SECRET", "b")})
	if err != nil {
		t.Fatal(err)
	}
	ignoreLines := cmp.FilterPath(func(p cmp.Path) bool {
		f, ok := p.Last().(cmp.StructField)
		return ok && (f.Name() == "Line" || f.Name() == "File")
	}, cmp.Ignore())
	if got := quick.API.Tokens; len(got) != 1 || got[0].Scope != "admin" {
		t.Errorf("quickstart API tokens %+v, want one admin token", got)
	}
	quick.API.Tokens = nil
	if diff := cmp.Diff(issue, quick, ignoreLines); diff != "" {
		t.Errorf("quickstart differs from the issue's example (-issue +quickstart):\n%s", diff)
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	yml := `
sources:
  - name: hooks
    provider: hmac
    secret: s
    hmac: { header: x-sig }
destinations:
  - { name: app, url: "https://example.com/in" }
  - { name: out, type: log }
routes:
  - { from: [hooks], to: [app, out] }
`
	got, err := Parse("d.yaml", []byte(yml), Options{CheckSource: checkSource})
	if err != nil {
		t.Fatal(err)
	}
	retry := Retry{MaxAttempts: 8, Initial: Duration(time.Second), Max: Duration(time.Hour)}
	want := &Config{
		Listen:  ":8080",
		Storage: Storage{Driver: "sqlite", Path: "./data/hookgate.db"},
		Server: Server{
			ReadHeaderTimeout: Duration(5 * time.Second),
			ReadTimeout:       Duration(30 * time.Second),
			WriteTimeout:      Duration(30 * time.Second),
			IdleTimeout:       Duration(120 * time.Second),
			ShutdownTimeout:   Duration(30 * time.Second),
			MaxHeaderBytes:    64 << 10,
		},
		Delivery:  Delivery{Batch: 128, Lease: Duration(time.Minute), Poll: Duration(time.Second)},
		Retention: defaultRetention,
		Metrics:   defaultMetrics,
		Tracing:   defaultTracing,
		Log:       Log{Level: "info", Format: "json"},
		Sources: []Source{{Name: "hooks", Provider: "hmac", Secret: "s", MaxBody: 1 << 20, Line: 3,
			HMAC: &HMAC{Header: "x-sig", Algorithm: "sha256", Encoding: "hex"}}},
		Destinations: []Destination{
			{Name: "app", Type: "http", URL: "https://example.com/in", Method: "POST",
				Timeout: Duration(10 * time.Second), Concurrency: 16, Retry: retry, Line: 8},
			{Name: "out", Type: "log", Timeout: Duration(10 * time.Second), Concurrency: 16, Retry: retry, Line: 9},
		},
		Routes: []Route{{From: []string{"hooks"}, To: []string{"app", "out"}, Line: 11}},
		File:   "d.yaml",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}

	// SetDefaults is idempotent and keeps what is set.
	again := *got
	again.SetDefaults()
	if diff := cmp.Diff(got, &again); diff != "" {
		t.Errorf("SetDefaults twice changed the config (-once +twice):\n%s", diff)
	}
}

func TestEmptyFile(t *testing.T) {
	t.Parallel()
	for _, yml := range []string{"", "# only a comment\n", "---\n"} {
		c, err := Parse("e.yaml", []byte(yml), Options{})
		if err != nil {
			t.Errorf("Parse(%q): %v", yml, err)
			continue
		}
		if c.Listen != ":8080" || c.Storage.Driver != "sqlite" {
			t.Errorf("Parse(%q) = %+v, want defaults", yml, c)
		}
	}
}

func TestInterpolation(t *testing.T) {
	t.Parallel()
	yml := `
listen: "${HOST:-127.0.0.1}:${PORT}"
storage: { driver: postgres, dsn: "${DATABASE_URL}" }
delivery: { batch: "${BATCH:-64}", lease: "${LEASE:-2m}" }
sources:
  - { name: s, provider: github, secret: "${SECRET}", max_body: "${MAX_BODY:-2MiB}" }
destinations:
  - name: app
    url: ${APP_URL}
    headers:
      Authorization: "Bearer ${TOKEN}"
      X-Template: "$${NOT_A_VAR} costs $5"
    ${NOT_EXPANDED_IN_KEYS}: 1
routes:
  - { from: [s], to: [app] }
`
	getenv := env("PORT", "9090", "DATABASE_URL", "postgres://db/hooks", "SECRET", "shh",
		"APP_URL", "http://app:3000/in", "TOKEN", "tok", "NOT_EXPANDED_IN_KEYS", "timeout")
	_, err := Parse("i.yaml", []byte(yml), Options{Getenv: getenv})
	if want := `i.yaml:13: destinations[0]: unknown field "${NOT_EXPANDED_IN_KEYS}"`; err == nil || err.Error() != want {
		t.Fatalf("got error %v, want %q", err, want)
	}
	yml = strings.Replace(yml, "    ${NOT_EXPANDED_IN_KEYS}: 1\n", "", 1)
	c, err := Parse("i.yaml", []byte(yml), Options{Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, got, want string }{
		{"listen", c.Listen, "127.0.0.1:9090"},
		{"dsn", c.Storage.DSN, "postgres://db/hooks"},
		{"batch", fmt.Sprint(c.Delivery.Batch), "64"},
		{"lease", c.Delivery.Lease.String(), "2m"},
		{"secret", c.Sources[0].Secret, "shh"},
		{"max_body", c.Sources[0].MaxBody.String(), "2MiB"},
		{"url", c.Destinations[0].URL, "http://app:3000/in"},
		{"authorization", c.Destinations[0].Headers["Authorization"], "Bearer tok"},
		{"escape", c.Destinations[0].Headers["X-Template"], "${NOT_A_VAR} costs $5"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestAliasesAndMerge(t *testing.T) {
	t.Parallel()
	yml := `
x-retry: &retry { max_attempts: 3, initial: 1s, max: 10s }
destinations:
  - &base { name: a, url: "http://a/in", timeout: 2s, retry: *retry }
  - { <<: *base, name: b }
  - { <<: [*base], name: c, timeout: 3s }
`
	_, err := Parse("m.yaml", []byte(yml), Options{})
	if want := `m.yaml:2: unknown field "x-retry"`; err == nil || err.Error() != want {
		t.Fatalf("got error %v, want %q", err, want)
	}
	yml = strings.Replace(yml, "x-retry: &retry", "delivery: { lease: 5m }\nretry_anchor_holder: &retry", 1)
	yml = strings.Replace(yml, "\nretry_anchor_holder: &retry { max_attempts: 3, initial: 1s, max: 10s }", "", 1)
	yml = strings.Replace(yml, "retry: *retry", "retry: &retry { max_attempts: 3, initial: 1s, max: 10s }", 1)
	yml = strings.Replace(yml, "name: b }", "name: b, retry: *retry }", 1)
	c, err := Parse("m.yaml", []byte(yml), Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, yml)
	}
	r := Retry{MaxAttempts: 3, Initial: Duration(time.Second), Max: Duration(10 * time.Second)}
	want := []Destination{
		{Name: "a", Type: "http", URL: "http://a/in", Method: "POST", Timeout: Duration(2 * time.Second), Concurrency: 16, Retry: r, Line: 4},
		{Name: "b", Type: "http", URL: "http://a/in", Method: "POST", Timeout: Duration(2 * time.Second), Concurrency: 16, Retry: r, Line: 5},
		{Name: "c", Type: "http", URL: "http://a/in", Method: "POST", Timeout: Duration(3 * time.Second), Concurrency: 16, Retry: r, Line: 6},
	}
	if diff := cmp.Diff(want, c.Destinations); diff != "" {
		t.Errorf("destinations mismatch (-want +got):\n%s", diff)
	}
}

// A small file of aliases must not expand into millions of values: here
// 2,000 sources that each alias one list of 2,000 secrets (4,000,000
// values from 16KB).
func TestAliasBomb(t *testing.T) {
	t.Parallel()
	const n = 2000
	yml := "sources:\n  - &s { name: s, provider: github, secrets: [" + strings.Repeat("a, ", n) + "a] }\n" +
		strings.Repeat("  - *s\n", n)
	start := time.Now()
	_, err := Parse("bomb.yaml", []byte(yml), Options{})
	if want := "bomb.yaml:2: too many values (over 100000 once aliases are expanded)"; err == nil || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Parse took %v", d)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), Options{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got error %v, want one wrapping os.ErrNotExist", err)
	}
}

// CheckSource sees each source after defaults, and its errors are placed at
// the source, or at the field a *FieldError names (only when returned as
// is, not wrapped).
func TestCheckSource(t *testing.T) {
	t.Parallel()
	yml := `
sources:
  - name: a
    provider: github
    secret: s
  - name: b
    provider: x
    secret: s
destinations: [{ name: d, type: log }]
routes: [{ from: [a, b], to: [d] }]
`
	var seen []string
	check := func(s Source) error {
		seen = append(seen, fmt.Sprintf("%s %s %d", s.Name, s.MaxBody, s.Line))
		return errors.Join(errors.New("first"), &FieldError{Field: "secret", Err: errors.New("second")},
			fmt.Errorf("wrapped: %w", &FieldError{Field: "provider", Err: errors.New("third")}))
	}
	_, err := Parse("c.yaml", []byte(yml), Options{CheckSource: check})
	want := `c.yaml:3: sources[0]: first
c.yaml:3: sources[0]: wrapped: provider: third
c.yaml:5: sources[0].secret: second
c.yaml:6: sources[1]: first
c.yaml:6: sources[1]: wrapped: provider: third
c.yaml:8: sources[1].secret: second`
	if err == nil || err.Error() != want {
		t.Errorf("got error\n%v\nwant\n%s", err, want)
	}
	if diff := cmp.Diff([]string{"a 1MiB 3", "b 1MiB 6"}, seen); diff != "" {
		t.Errorf("CheckSource saw (-want +got):\n%s", diff)
	}

	// A source whose provider settings config already faults is not passed
	// on, so that the problem is said once.
	seen = nil
	yml = replace(yml, "provider: x", "provider: hmac")
	_, err = Parse("c.yaml", []byte(yml), Options{CheckSource: func(s Source) error {
		seen = append(seen, s.Name)
		return nil
	}})
	want = `c.yaml:6: sources[1].hmac: required for provider "hmac" (at least { header: x-signature })`
	if err == nil || err.Error() != want {
		t.Errorf("got error\n%v\nwant\n%s", err, want)
	}
	if diff := cmp.Diff([]string{"a"}, seen); diff != "" {
		t.Errorf("CheckSource saw (-want +got):\n%s", diff)
	}
}

func TestValidateBuiltInCode(t *testing.T) {
	t.Parallel()
	c := &Config{
		Sources:      []Source{{Name: "a", Provider: "github", Secret: "s"}, {Name: "a", Line: 7}},
		Destinations: []Destination{{Name: "d", URL: "http://d/"}},
		Routes:       []Route{{From: []string{"a"}, To: []string{"nope"}}},
	}
	err := c.Validate()
	want := `listen: required
storage.driver: required (sqlite or postgres)
server.read_header_timeout: must be greater than 0
server.read_timeout: must be greater than 0
server.write_timeout: must be greater than 0
server.idle_timeout: must be greater than 0
server.shutdown_timeout: must be greater than 0
server.max_header_bytes: must be greater than 0
delivery.batch: must be greater than 0
delivery.lease: must be greater than 0
delivery.poll: must be greater than 0
log.level: invalid value "" (want debug, info, warn, error)
log.format: invalid value "" (want json, text)
sources[0].max_body: must be greater than 0
destinations[0].url: required (or set type: log)
destinations[0].timeout: must be greater than 0
destinations[0].concurrency: must be greater than 0
destinations[0].retry.max_attempts: must be greater than 0
destinations[0].retry.initial: must be greater than 0
destinations[0].retry.max: must be greater than 0
routes[0].to[0]: unknown destination "nope"
retention.events: must be greater than 0, or off
retention.dead: must be greater than 0, or off
retention.rejections: must be greater than 0, or off
retention.interval: must be greater than 0
retention.batch: must be greater than 0
line 7: sources[1].name: duplicate name "a" (also sources[0])
line 7: sources[1].provider: required
line 7: sources[1].max_body: must be greater than 0`
	if err == nil || err.Error() != want {
		t.Errorf("got error\n%v\nwant\n%s", err, want)
	}

	c.Sources = c.Sources[:1]
	c.Routes[0].To[0] = "d"
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		t.Errorf("Validate after SetDefaults: %v", err)
	}
}

func TestFullConfig(t *testing.T) {
	t.Parallel()
	got, err := Load("testdata/full.yaml", Options{CheckSource: checkSource})
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Listen:  ":9090",
		Storage: Storage{Driver: "postgres", DSN: "postgres://hookgate@localhost/hookgate"},
		Server: Server{
			ReadHeaderTimeout: Duration(2 * time.Second),
			ReadTimeout:       Duration(10 * time.Second),
			WriteTimeout:      Duration(15 * time.Second),
			IdleTimeout:       Duration(time.Minute),
			ShutdownTimeout:   Duration(45 * time.Second),
			MaxHeaderBytes:    32 * KiB,
		},
		Delivery:  Delivery{Batch: 64, Lease: Duration(2 * time.Minute), Poll: Duration(250 * time.Millisecond)},
		Retention: defaultRetention,
		Metrics:   defaultMetrics,
		Tracing:   defaultTracing,
		Log:       Log{Level: "debug", Format: "text"},
		Sources: []Source{
			{Name: "stripe-like", Provider: "standardwebhooks", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
				Secrets: []string{"whsec_old1", "whsec_old2"}, MaxBody: 512 * KiB, Tolerance: Duration(10 * time.Minute), Line: 21},
			{Name: "api_gw", Provider: "hmac", Secret: "s3cret", MaxBody: MiB, Line: 27,
				HMAC: &HMAC{Header: "x-hmac", Algorithm: "sha512", Encoding: "base64", Prefix: "sha512=",
					EventTypeHeader: "x-event", DeliveryIDHeader: "x-request-id"}},
		},
		Destinations: []Destination{
			{Name: "app", Type: "http", URL: "https://app.example.com/hooks?v=1", Method: "PUT",
				Headers: map[string]string{"Authorization": "Bearer dev-token", "X-Cost": "${NOT_A_VAR} $5"},
				Timeout: Duration(30 * time.Second), Concurrency: 4,
				Retry: Retry{MaxAttempts: 12, Initial: Duration(500 * time.Millisecond), Max: Duration(30 * time.Minute),
					MaxAge: Duration(24 * time.Hour), RetryStatuses: []Status{"409", "5xx"}, DisableOn410: true},
				RateLimit: &RateLimit{PerSecond: 2.5, Burst: 3},
				Circuit:   &Circuit{Failures: 4, Ratio: 0.6, Window: 10, OpenFor: Duration(time.Minute)},
				Paused:    true, Line: 38},
			{Name: "audit", Type: "log", Timeout: Duration(10 * time.Second), Concurrency: 16,
				Retry: Retry{MaxAttempts: 8, Initial: Duration(time.Second), Max: Duration(time.Hour)}, Line: 51},
		},
		Routes: []Route{
			{From: []string{"stripe-like"}, To: []string{"app", "audit"}, Line: 54},
			{From: []string{"api_gw"}, To: []string{"audit"}, Line: 56},
		},
		File: "testdata/full.yaml",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}
}

func TestTooManyProblems(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 150 {
		fmt.Fprintf(&b, "k%d: v\n", i)
	}
	_, err := Parse("many.yaml", []byte(b.String()), Options{})
	problems := split(err)
	if len(problems) != 101 {
		t.Fatalf("got %d problems, want 101", len(problems))
	}
	if got, want := problems[100].Error(), "many.yaml:101: too many problems; stopping here"; got != want {
		t.Errorf("last problem = %q, want %q", got, want)
	}
}

// Integers are decimal: YAML 1.2 reads 010 as ten, not as octal eight.
func TestIntegersAreDecimal(t *testing.T) {
	t.Parallel()
	c, err := Parse("i.yaml", []byte("delivery: { batch: 010 }\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Delivery.Batch != 10 {
		t.Errorf("batch = %d, want 10", c.Delivery.Batch)
	}
}
