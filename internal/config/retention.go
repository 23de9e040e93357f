package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	_ yaml.Unmarshaler = (*Age)(nil)
	_ yaml.Marshaler   = Age{}
	_ fmt.Stringer     = Age{}
)

// MaxRetentionBatch caps retention.batch: one batch is one transaction,
// and on SQLite it holds up every other write while it runs.
const MaxRetentionBatch = 10_000

// Retention says how long hookgate keeps what it stored. Older records are
// removed in the background, a batch at a time, oldest first. An event with
// a pending delivery (waiting for its first attempt or for a retry) is never
// removed, however old.
//
//	retention: { events: 720h, dead: 2160h, rejections: 168h, interval: 1m, batch: 500 }
//
// Each period may be "off", which keeps those records forever.
type Retention struct {
	// Events is how long an event is kept after it was received, with its
	// deliveries and their attempts, once none of them is pending and none
	// is dead (see Dead). "off" keeps them forever (dead letters still go
	// as Dead says). Default 720h (30 days).
	Events Age `yaml:"events"`
	// Dead is how long an event with a dead delivery (a dead letter, which
	// can still be retried by hand) is kept after it was received, with its
	// other deliveries. "off" keeps dead letters forever. Default 2160h (90
	// days): longer than events, so they outlive the traffic around them.
	Dead Age `yaml:"dead"`
	// Rejections is how long a refused request is kept on record. "off"
	// keeps them forever. Default 168h (7 days).
	Rejections Age `yaml:"rejections"`
	// Interval is the pause between two rounds of removal; a round goes on
	// until nothing old is left. Default 1m.
	Interval Duration `yaml:"interval"`
	// Batch is how many events (and, apart, how many rejections) one
	// transaction removes, at most MaxRetentionBatch. Smaller batches hold
	// ingest up for less time each. Default 500.
	Batch int `yaml:"batch"`
}

// Age is a retention period: a duration such as "720h" (time.ParseDuration
// units: "30d" is not one; write "720h"), or "off" to keep forever. The zero
// Age is unset, and takes its default.
type Age struct {
	// Keep is the period; zero when Off or unset.
	Keep Duration
	// Off keeps the records forever.
	Off bool
}

// Keeps returns an Age of d.
func Keeps(d time.Duration) Age { return Age{Keep: Duration(d)} }

// Forever is the Age "off".
var Forever = Age{Off: true}

// IsZero reports whether a is unset.
func (a Age) IsZero() bool { return a == Age{} }

// Cutoff returns the receive time before which records are removed at now,
// or the zero time when a is off (or unset): nothing is removed.
func (a Age) Cutoff(now time.Time) time.Time {
	if a.Off || a.Keep <= 0 {
		return time.Time{}
	}
	return now.Add(-a.Keep.D())
}

// UnmarshalYAML reads "off" or a duration greater than 0.
func (a *Age) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a duration such as \"720h\", or off, got %s", kindName(n))
	}
	s := strings.TrimSpace(n.Value)
	// YAML 1.1 reads an unquoted off as false; either way it means off.
	if strings.EqualFold(s, "off") || strings.EqualFold(s, "false") {
		*a = Forever
		return nil
	}
	d, err := ParseDuration(s)
	switch {
	case err != nil:
		return fmt.Errorf("%w, or off to keep forever", err)
	case d == 0:
		return errors.New("must be greater than 0 (leave it out for the default, or write off to keep forever)")
	}
	*a = Age{Keep: d}
	return nil
}

// MarshalYAML writes a as String does.
func (a Age) MarshalYAML() (any, error) { return a.String(), nil }

// String is "off", or the duration as Duration writes it.
func (a Age) String() string {
	if a.Off {
		return "off"
	}
	return a.Keep.String()
}

// setRetentionDefaults fills the retention section's defaults.
func setRetentionDefaults(r *Retention) {
	if r.Events.IsZero() {
		r.Events = Keeps(30 * 24 * time.Hour)
	}
	if r.Dead.IsZero() {
		r.Dead = Keeps(90 * 24 * time.Hour)
	}
	if r.Rejections.IsZero() {
		r.Rejections = Keeps(7 * 24 * time.Hour)
	}
	if r.Interval == 0 {
		r.Interval = Duration(time.Minute)
	}
	if r.Batch == 0 {
		r.Batch = 500
	}
}

// validateRetention checks the retention section (for configs built in
// code: a file cannot write a period of 0 or less).
func (c *Config) validateRetention(p *problems) {
	r := c.Retention
	for _, a := range []struct {
		field string
		age   Age
	}{{"retention.events", r.Events}, {"retention.dead", r.Dead}, {"retention.rejections", r.Rejections}} {
		if !a.age.Off && a.age.Keep <= 0 {
			p.add(a.field, "must be greater than 0, or off")
		}
	}
	positive(p, "retention.interval", int64(r.Interval))
	positive(p, "retention.batch", int64(r.Batch))
	if r.Batch > MaxRetentionBatch {
		p.add("retention.batch", "must be at most %d, got %d (one batch is one transaction)", MaxRetentionBatch, r.Batch)
	}
}
