package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// defaultRetention is the retention section SetDefaults gives a config
// that has none.
var defaultRetention = Retention{
	Events:     Keeps(720 * time.Hour),
	Dead:       Keeps(2160 * time.Hour),
	Rejections: Keeps(168 * time.Hour),
	Interval:   Duration(time.Minute),
	Batch:      500,
}

// retentionFile is a minimal valid config with a retention section (line 5
// on).
func retentionFile(section string) string {
	return "sources:\n  - { name: gh, provider: github, secret: s }\ndestinations:\n  - { name: app, type: log }\n" + section
}

func TestRetention(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yml  string
		want Retention
	}{
		{"defaults", "", defaultRetention},
		{"as documented", "retention: { events: 720h, dead: 2160h, rejections: 168h, interval: 1m, batch: 500 }", defaultRetention},
		{"some set", "retention:\n  events: 24h\n  batch: 100\n", Retention{
			Events: Keeps(24 * time.Hour), Dead: defaultRetention.Dead, Rejections: defaultRetention.Rejections,
			Interval: defaultRetention.Interval, Batch: 100,
		}},
		{"off", "retention: { events: off, dead: OFF, rejections: \"off\" }", Retention{
			Events: Forever, Dead: Forever, Rejections: Forever, Interval: defaultRetention.Interval, Batch: 500,
		}},
		{"from the environment", "retention: { events: \"${KEEP}\", interval: 30s }", Retention{
			Events: Keeps(36 * time.Hour), Dead: defaultRetention.Dead, Rejections: defaultRetention.Rejections,
			Interval: Duration(30 * time.Second), Batch: 500,
		}},
	}
	for _, tt := range tests {
		c, err := Parse("x.yaml", []byte(retentionFile(tt.yml)), Options{Getenv: env("KEEP", "36h")})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, c.Retention); diff != "" {
			t.Errorf("%s: retention (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestRetentionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yml, want string
	}{
		{"zero", "retention:\n  events: 0s\n", "x.yaml:6: retention.events: must be greater than 0 (leave it out for the default, or write off to keep forever)"},
		{"no unit", "retention:\n  dead: 90\n", `x.yaml:6: retention.dead: invalid duration "90": missing unit (as in "90s"), or off to keep forever`},
		{"days", "retention:\n  rejections: 7d\n", `x.yaml:6: retention.rejections: invalid duration "7d", or off to keep forever`},
		{"negative", "retention:\n  events: -1h\n", `x.yaml:6: retention.events: invalid duration "-1h": must not be negative, or off to keep forever`},
		{"not a scalar", "retention:\n  events: [1h]\n", `x.yaml:6: retention.events: expected a duration such as "720h", or off, got a list`},
		{"interval off", "retention:\n  interval: off\n", `x.yaml:6: retention.interval: invalid duration "off"`},
		{"batch too large", "retention:\n  batch: 20000\n", "x.yaml:6: retention.batch: must be at most 10000, got 20000 (one batch is one transaction)"},
		{"batch zero", "retention:\n  batch: 0\n", "x.yaml:6: retention.batch: must be greater than 0 (leave it out for the default)"},
		{"unknown field", "retention:\n  attempts: 1h\n", `x.yaml:6: retention: unknown field "attempts"`},
	}
	for _, tt := range tests {
		_, err := Parse("x.yaml", []byte(retentionFile(tt.yml)), Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got error\n%v\nwant it to hold\n%s", tt.name, err, tt.want)
		}
	}
}

func TestAge(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		age    Age
		text   string
		cutoff time.Time
	}{
		{Keeps(720 * time.Hour), "720h", now.Add(-720 * time.Hour)},
		{Keeps(90 * time.Minute), "1h30m", now.Add(-90 * time.Minute)},
		{Forever, "off", time.Time{}},
		{Age{}, "0s", time.Time{}},
	}
	for _, tt := range tests {
		if got := tt.age.String(); got != tt.text {
			t.Errorf("%#v.String() = %q, want %q", tt.age, got, tt.text)
		}
		if got := tt.age.Cutoff(now); !got.Equal(tt.cutoff) {
			t.Errorf("%v.Cutoff(now) = %v, want %v", tt.age, got, tt.cutoff)
		}
		if tt.age.IsZero() {
			continue
		}
		// What MarshalYAML writes reads back the same.
		b, err := yaml.Marshal(map[string]Age{"events": tt.age})
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		c, err := Parse("x.yaml", []byte(retentionFile("retention:\n  "+string(b))), Options{})
		if err != nil {
			t.Fatalf("Parse of %q: %v", b, err)
		}
		if c.Retention.Events != tt.age {
			t.Errorf("%q read back as %v, want %v", b, c.Retention.Events, tt.age)
		}
	}
}

func TestRetentionBuiltInCode(t *testing.T) {
	t.Parallel()
	c := &Config{Retention: Retention{Events: Age{Keep: Duration(-time.Hour)}, Dead: Forever}}
	c.SetDefaults()
	p := &problems{}
	c.validateRetention(p)
	want := "retention.events: must be greater than 0, or off"
	if err := p.err(); err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if c.Retention.Dead != Forever {
		t.Errorf("SetDefaults changed dead: off into %v", c.Retention.Dead)
	}
}
