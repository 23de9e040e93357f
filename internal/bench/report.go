package bench

import (
	"fmt"
	"time"
)

// Report is what one Run measured, warm-up excluded.
type Report struct {
	// Requests is every request that completed in the measured window,
	// errors included.
	Requests int `json:"requests"`
	// Errors counts requests answered with a non-2xx status or failed in
	// transport (connection refused, reset, timeout).
	Errors int `json:"errors"`
	// Duration is the measured window: from the end of the warm-up until the
	// last in-flight request completed.
	Duration time.Duration `json:"duration_ns"`
	// RPS is successful (2xx) requests per second over Duration, so a server
	// that fails fast does not look fast.
	RPS float64 `json:"rps"`
	// P50, P90, P99 and Max are latency percentiles of successful requests,
	// from sending the request to reading the whole response body. They are
	// accurate to within 0.4%.
	P50 time.Duration `json:"p50_ns"`
	P90 time.Duration `json:"p90_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
	// StatusCounts counts requests by response status; transport failures
	// are counted under 0.
	StatusCounts map[int]int `json:"status_counts"`
	// Accepted counts every 2xx answer, warm-up included: the events the
	// gateway took, which an end-to-end run waits to see delivered.
	Accepted int `json:"accepted"`
	// ErrorSample is one transport error or non-2xx status, to say what went
	// wrong when Errors is not zero. Empty when there were no errors.
	ErrorSample string `json:"error_sample,omitempty"`
}

// String returns the report on one line.
func (r Report) String() string {
	s := fmt.Sprintf("%d requests in %s, %d errors: %.0f req/s, latency p50 %s p90 %s p99 %s max %s",
		r.Requests, r.Duration.Round(time.Millisecond), r.Errors, r.RPS,
		FormatLatency(r.P50), FormatLatency(r.P90), FormatLatency(r.P99), FormatLatency(r.Max))
	if r.ErrorSample != "" {
		s += " (e.g. " + r.ErrorSample + ")"
	}
	return s
}

// FormatLatency formats d in milliseconds with microsecond precision
// ("0.412ms", "12.031ms"), so a column of latencies lines up and compares
// at a glance.
func FormatLatency(d time.Duration) string {
	return fmt.Sprintf("%.3fms", float64(d)/float64(time.Millisecond))
}

// report builds the Report from the merged histogram and counters.
func report(h *histogram, requests, errors int, window time.Duration, statuses map[int]int, sample string) Report {
	r := Report{
		Requests:     requests,
		Errors:       errors,
		Duration:     window,
		P50:          h.quantile(0.50),
		P90:          h.quantile(0.90),
		P99:          h.quantile(0.99),
		Max:          h.max,
		StatusCounts: statuses,
		ErrorSample:  sample,
	}
	if window > 0 {
		r.RPS = float64(requests-errors) / window.Seconds()
	}
	return r
}
