package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// defaultMetrics and defaultTracing are the sections' defaults.
var (
	defaultMetrics = Metrics{Path: "/metrics"}
	defaultTracing = Tracing{SampleRatio: 1, ServiceName: "hookgate"}
)

// observeFile is a minimal config whose observability sections start on
// line 3.
func observeFile(s string) string {
	return "sources:\n  - { name: gh, provider: github, secret: s }\n" + s
}

func TestObserveDefaults(t *testing.T) {
	t.Parallel()
	c, err := Parse("x.yaml", []byte(observeFile("")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Metrics.On() || c.Metrics.Path != "/metrics" {
		t.Errorf("metrics: on %v path %q, want on at /metrics", c.Metrics.On(), c.Metrics.Path)
	}
	if c.Tracing.On() {
		t.Error("tracing is on without an endpoint")
	}
	if c.Tracing.SampleRatio != 1 || c.Tracing.ServiceName != "hookgate" {
		t.Errorf("tracing defaults: %+v", c.Tracing)
	}
}

func TestObserve(t *testing.T) {
	t.Parallel()
	c, err := Parse("x.yaml", []byte(observeFile(`metrics: { enabled: false, path: /internal/metrics }
tracing:
  otlp_endpoint: "${OTLP}"
  sample_ratio: 0.25
  service_name: gw-eu
`)), Options{Getenv: env("OTLP", "http://127.0.0.1:4318")})
	if err != nil {
		t.Fatal(err)
	}
	off := false
	want := struct {
		M Metrics
		T Tracing
	}{
		Metrics{Enabled: &off, Path: "/internal/metrics"},
		Tracing{OTLPEndpoint: "http://127.0.0.1:4318", SampleRatio: 0.25, ServiceName: "gw-eu"},
	}
	if diff := cmp.Diff(want, struct {
		M Metrics
		T Tracing
	}{c.Metrics, c.Tracing}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if c.Metrics.On() || !c.Tracing.On() {
		t.Errorf("metrics on %v, tracing on %v; want off, on", c.Metrics.On(), c.Tracing.On())
	}
}

// TestObserveErrors pins the sections' messages, each at its file:line.
func TestObserveErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, yaml, want string }{
		{"relative path", "metrics: { path: metrics }\n",
			`x.yaml:3: metrics.path: invalid path "metrics" (want an absolute path such as /metrics)`},
		{"path taken", "metrics:\n  path: /in/metrics\n",
			`x.yaml:4: metrics.path: "/in/metrics" is taken by another route; choose another path such as /metrics`},
		{"pattern chars", "metrics: { path: \"/{x}\" }\n",
			`x.yaml:3: metrics.path: invalid path "/{x}" (want an absolute path such as /metrics)`},
		{"enabled", "metrics: { enabled: yes please }\n",
			`x.yaml:3: metrics.enabled: expected true or false, got "yes please"`},
		{"ratio zero", "tracing: { otlp_endpoint: \"127.0.0.1:4318\", sample_ratio: 0 }\n",
			`x.yaml:3: tracing.sample_ratio: must be greater than 0 and at most 1, got 0`},
		{"ratio big", "tracing:\n  sample_ratio: 1.5\n",
			`x.yaml:4: tracing.sample_ratio: must be greater than 0 and at most 1, got 1.5`},
		{"ratio text", "tracing:\n  sample_ratio: half\n",
			`x.yaml:4: tracing.sample_ratio: invalid number "half"`},
		{"scheme", "tracing:\n  otlp_endpoint: grpc://c:4317\n",
			`x.yaml:4: tracing.otlp_endpoint: scheme "grpc": OTLP is sent over http or https`},
		{"no port", "tracing:\n  otlp_endpoint: collector\n",
			`x.yaml:4: tracing.otlp_endpoint: invalid endpoint "collector" (want a URL such as http://127.0.0.1:4318, or host:port)`},
		{"credentials", "tracing:\n  otlp_endpoint: \"https://u:p@c:4318\"\n",
			`x.yaml:4: tracing.otlp_endpoint: URL must not hold credentials`},
		{"insecure https", "tracing:\n  otlp_endpoint: https://c:4318\n  insecure: true\n",
			`x.yaml:4: tracing.otlp_endpoint: insecure is set but the endpoint is https; use http:// for plain text`},
		{"blank name", "tracing:\n  otlp_endpoint: c:4318\n  service_name: \" \"\n",
			`x.yaml:5: tracing.service_name: must not be blank`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("x.yaml", []byte(observeFile(tc.yaml)), Options{})
			got := "<nil>"
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Parse:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}
