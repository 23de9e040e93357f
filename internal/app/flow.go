package app

import (
	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/deliver"
)

// withFlow adds d's flow control (rate limit, circuit breaker, pause) and
// the rest of its retry policy (max age, retry statuses, 410) to t.
func withFlow(t deliver.Target, d config.Destination) deliver.Target {
	if r := d.RateLimit; r != nil {
		t.RateLimit = deliver.RateLimit{PerSecond: float64(r.PerSecond), Burst: r.Burst}
	}
	if c := d.Circuit; c != nil {
		t.Circuit = deliver.Circuit{Failures: c.Failures, Ratio: float64(c.Ratio), Window: c.Window, OpenFor: c.OpenFor.D()}
	}
	t.Paused = d.Paused
	t.Policy.MaxAge = d.Retry.MaxAge.D()
	t.Policy.RetryStatuses = retryStatuses(d.Retry.RetryStatuses)
	t.Policy.DisableOn410 = d.Retry.DisableOn410
	return t
}

// retryStatuses lists the codes statuses stand for ("5xx" is 500 to 599);
// nil stays nil, the policy's default.
func retryStatuses(statuses []config.Status) []int {
	if statuses == nil {
		return nil
	}
	codes := []int{}
	for _, s := range statuses {
		lo, hi, _ := s.Range()
		for c := lo; c <= hi; c++ {
			codes = append(codes, c)
		}
	}
	return codes
}
