package config

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	_ yaml.Unmarshaler = (*Float)(nil)
	_ yaml.Unmarshaler = (*Status)(nil)
)

// RateLimit caps how fast attempts to one destination start: a token
// bucket of Burst tokens refilled at PerSecond. Deliveries the destination
// cannot take yet are not attempted: they are scheduled for when it can.
type RateLimit struct {
	// PerSecond is the sustained rate, in attempts per second; fractions
	// are allowed (0.5 is one attempt every two seconds). Required.
	PerSecond Float `yaml:"per_second"`
	// Burst is how many attempts may start at once after a quiet spell.
	// Default 1: attempts are evenly spaced.
	Burst int `yaml:"burst"`
}

// Circuit is a destination's circuit breaker. It opens after Failures
// failed attempts in a row, or when at least Ratio of the last Window
// attempts failed (whichever comes first); a failure is an attempt that
// would be retried (no answer, or a status in retry.retry_statuses). While
// it is open, the destination's deliveries are not attempted (and spend no
// attempt): they wait until it half-opens, OpenFor later. Then one attempt
// goes through as a probe: a success closes the circuit, a failure opens
// it again for OpenFor.
type Circuit struct {
	// Failures is how many failed attempts in a row open the circuit.
	// Default 5.
	Failures int `yaml:"failures"`
	// Ratio is the share of failed attempts among the last Window that
	// opens the circuit, above 0 and at most 1. Default 0.5.
	Ratio Float `yaml:"ratio"`
	// Window is how many of the latest attempts Ratio looks at; the ratio
	// counts only once that many were made. Default 20.
	Window int `yaml:"window"`
	// OpenFor is how long the circuit stays open before a probe. Default
	// 30s.
	OpenFor Duration `yaml:"open_for"`
}

// Float is a number greater than 0, such as 0.5 or 20.
type Float float64

// UnmarshalYAML reads a positive number.
func (f *Float) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a number, got %s", kindName(n))
	}
	s := strings.TrimSpace(n.Value)
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("invalid number %q", s)
	case v == 0:
		return fmt.Errorf("must be greater than 0 (leave it out for the default)")
	case v < 0:
		return fmt.Errorf("must be greater than 0, got %s", s)
	}
	*f = Float(v)
	return nil
}

// Status is an HTTP status code, such as 429, or a class of them, such as
// "5xx", from 300 to 599.
type Status string

// UnmarshalYAML reads a status code or class.
func (s *Status) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a status such as 429 or \"5xx\", got %s", kindName(n))
	}
	v := Status(strings.ToLower(strings.TrimSpace(n.Value)))
	if _, _, ok := v.Range(); !ok {
		return fmt.Errorf("invalid status %q (want a code from 300 to 599, such as 429, or a class such as \"5xx\")", n.Value)
	}
	*s = v
	return nil
}

// Range returns the codes s stands for, lo to hi inclusive, and whether s is
// valid.
func (s Status) Range() (lo, hi int, ok bool) {
	str := string(s)
	if len(str) == 3 && strings.HasSuffix(str, "xx") && str[0] >= '3' && str[0] <= '5' {
		lo = int(str[0]-'0') * 100
		return lo, lo + 99, true
	}
	code, err := strconv.Atoi(str)
	if err != nil || code < 300 || code > 599 || strconv.Itoa(code) != str {
		return 0, 0, false
	}
	return code, code, true
}

// setFlowDefaults fills d's rate limit and circuit breaker defaults, when
// they are set.
func setFlowDefaults(d *Destination) {
	if r := d.RateLimit; r != nil {
		r.Burst = cmp.Or(r.Burst, 1)
	}
	if c := d.Circuit; c != nil {
		c.Failures = cmp.Or(c.Failures, 5)
		c.Ratio = cmp.Or(c.Ratio, 0.5)
		c.Window = cmp.Or(c.Window, 20)
		c.OpenFor = cmp.Or(c.OpenFor, Duration(30*time.Second))
	}
}

// validateFlow checks d's rate limit, circuit breaker and the retry fields
// that go with them; f names d.
func validateFlow(p *problems, f string, d *Destination) {
	if r := d.RateLimit; r != nil {
		if r.PerSecond <= 0 {
			p.add(f+".rate_limit.per_second", "required (attempts per second, such as 10 or 0.5)")
		}
		positive(p, f+".rate_limit.burst", int64(r.Burst))
	}
	if c := d.Circuit; c != nil {
		positive(p, f+".circuit.failures", int64(c.Failures))
		positive(p, f+".circuit.window", int64(c.Window))
		positive(p, f+".circuit.open_for", int64(c.OpenFor))
		if c.Ratio <= 0 || c.Ratio > 1 {
			p.add(f+".circuit.ratio", "must be above 0 and at most 1, got %g", float64(c.Ratio))
		}
	}
	if d.Retry.MaxAge < 0 {
		p.add(f+".retry.max_age", "must not be negative")
	}
	for i, s := range d.Retry.RetryStatuses {
		if _, _, ok := s.Range(); !ok {
			p.add(fmt.Sprintf("%s.retry.retry_statuses[%d]", f, i), "invalid status %q (want a code from 300 to 599, such as 429, or a class such as \"5xx\")", string(s))
		}
	}
}
