package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFlowFields(t *testing.T) {
	t.Parallel()
	c, err := Parse("f.yaml", []byte(`sources:
  - { name: gh, provider: github, secret: s }
destinations:
  - name: app
    url: "http://127.0.0.1:9000/hooks"
    rate_limit: { per_second: 0.5 }
    circuit: {}
    paused: true
    retry: { max_age: 24h, retry_statuses: [429, "5xx", 409], disable_on_410: true }
  - name: full
    url: "http://127.0.0.1:9001/hooks"
    rate_limit: { per_second: 200, burst: 20 }
    circuit: { failures: 3, ratio: 0.25, window: 8, open_for: 1m }
  - { name: plain, type: log }
routes:
  - { from: [gh], to: [app, full, plain] }
`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	type flow struct {
		RateLimit *RateLimit
		Circuit   *Circuit
		Paused    bool
		Retry     Retry
	}
	var got []flow
	for _, d := range c.Destinations {
		got = append(got, flow{d.RateLimit, d.Circuit, d.Paused, d.Retry})
	}
	defaultRetry := Retry{MaxAttempts: 8, Initial: Duration(time.Second), Max: Duration(time.Hour)}
	appRetry := defaultRetry
	appRetry.MaxAge, appRetry.RetryStatuses, appRetry.DisableOn410 = Duration(24*time.Hour), []Status{"429", "5xx", "409"}, true
	want := []flow{
		{&RateLimit{PerSecond: 0.5, Burst: 1}, &Circuit{Failures: 5, Ratio: 0.5, Window: 20, OpenFor: Duration(30 * time.Second)}, true, appRetry},
		{&RateLimit{PerSecond: 200, Burst: 20}, &Circuit{Failures: 3, Ratio: 0.25, Window: 8, OpenFor: Duration(time.Minute)}, false, defaultRetry},
		{nil, nil, false, defaultRetry},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("destinations (-want +got):\n%s", diff)
	}
}

func TestFlowErrors(t *testing.T) {
	t.Parallel()
	const ok = `sources:
  - { name: gh, provider: github, secret: s }
destinations:
  - { name: app, url: "http://127.0.0.1:9000/hooks" }
routes:
  - { from: [gh], to: [app] }
`
	dest := `{ name: app, url: "http://127.0.0.1:9000/hooks" }`
	tests := []struct {
		name, fields, want string
	}{
		{"rate without per_second", `rate_limit: { burst: 5 }`, `f.yaml:4: destinations[0].rate_limit.per_second: required (attempts per second, such as 10 or 0.5)`},
		{"zero rate", `rate_limit: { per_second: 0 }`, `f.yaml:4: destinations[0].rate_limit.per_second: must be greater than 0 (leave it out for the default)`},
		{"negative rate", `rate_limit: { per_second: -2 }`, `f.yaml:4: destinations[0].rate_limit.per_second: must be greater than 0, got -2`},
		{"rate not a number", `rate_limit: { per_second: fast }`, `f.yaml:4: destinations[0].rate_limit.per_second: invalid number "fast"`},
		{"zero burst", `rate_limit: { per_second: 1, burst: 0 }`, `f.yaml:4: destinations[0].rate_limit.burst: must be greater than 0 (leave it out for the default)`},
		{"ratio above 1", `circuit: { ratio: 1.5 }`, `f.yaml:4: destinations[0].circuit.ratio: must be above 0 and at most 1, got 1.5`},
		{"zero window", `circuit: { window: 0 }`, `f.yaml:4: destinations[0].circuit.window: must be greater than 0 (leave it out for the default)`},
		{"bad open_for", `circuit: { open_for: 30 }`, `f.yaml:4: destinations[0].circuit.open_for: invalid duration "30": missing unit (as in "30s")`},
		{"unknown circuit field", `circuit: { threshold: 3 }`, `f.yaml:4: destinations[0].circuit: unknown field "threshold"`},
		{"success status", `retry: { retry_statuses: [429, "2xx"] }`, `f.yaml:4: destinations[0].retry.retry_statuses[1]: invalid status "2xx" (want a code from 300 to 599, such as 429, or a class such as "5xx")`},
		{"status out of range", `retry: { retry_statuses: [600] }`, `f.yaml:4: destinations[0].retry.retry_statuses[0]: invalid status "600" (want a code from 300 to 599, such as 429, or a class such as "5xx")`},
		{"zero max_age", `retry: { max_age: 0s }`, `f.yaml:4: destinations[0].retry.max_age: must be greater than 0 (leave it out for the default)`},
		{"paused not a bool", `paused: maybe`, `f.yaml:4: destinations[0].paused: expected true or false, got "maybe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			yml := replace(ok, dest, dest[:len(dest)-2]+", "+tt.fields+" }")
			_, err := Parse("f.yaml", []byte(yml), Options{})
			if got := errString(err); got != tt.want {
				t.Errorf("got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
