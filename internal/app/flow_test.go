package app

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/deliver"
)

func TestWithFlow(t *testing.T) {
	t.Parallel()
	d := config.Destination{
		Name: "app",
		Retry: config.Retry{MaxAge: config.Duration(time.Hour), RetryStatuses: []config.Status{"409", "5xx"},
			DisableOn410: true},
		RateLimit: &config.RateLimit{PerSecond: 2.5, Burst: 3},
		Circuit:   &config.Circuit{Failures: 4, Ratio: 0.5, Window: 10, OpenFor: config.Duration(time.Minute)},
		Paused:    true,
	}
	got := withFlow(deliver.Target{Policy: deliver.Policy{MaxAttempts: 3}}, d)
	codes := []int{409}
	for c := 500; c <= 599; c++ {
		codes = append(codes, c)
	}
	want := deliver.Target{
		Policy:    deliver.Policy{MaxAttempts: 3, MaxAge: time.Hour, RetryStatuses: codes, DisableOn410: true},
		RateLimit: deliver.RateLimit{PerSecond: 2.5, Burst: 3},
		Circuit:   deliver.Circuit{Failures: 4, Ratio: 0.5, Window: 10, OpenFor: time.Minute},
		Paused:    true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("withFlow (-want +got):\n%s", diff)
	}
	if plain := withFlow(deliver.Target{}, config.Destination{}); plain.Policy.RetryStatuses != nil || plain.RateLimit != (deliver.RateLimit{}) {
		t.Errorf("withFlow of a plain destination = %+v, want no flow control and the default statuses", plain)
	}
}
