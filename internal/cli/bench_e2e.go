package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookgate/hookgate/internal/bench"
)

// benchE2E is the end-to-end part of a `hookgate bench --sink ADDR` run:
// the built-in sink the gateway delivers to, and what it saw.
type benchE2E struct {
	// Delivered counts the distinct events the sink received by the end.
	Delivered int64 `json:"delivered"`
	// Duplicates counts repeated deliveries of an event (0 expected).
	Duplicates int64 `json:"duplicates"`
	// BacklogAtEnd is accepted minus delivered when the load stopped: a
	// queue that kept up leaves about one second's worth or less.
	BacklogAtEnd int64 `json:"backlog_at_end"`
	// MaxBacklog is the largest accepted-minus-delivered seen each second.
	MaxBacklog int64 `json:"max_backlog"`
	// Drain is how long the backlog took to reach zero after the load.
	Drain time.Duration `json:"drain_ns"`
	// Complete is true when every accepted event was delivered.
	Complete bool `json:"complete"`
	// EventsPerSecond is delivered events over the time from the first
	// request to the last delivery.
	EventsPerSecond float64 `json:"events_per_second"`
	// LatencyP50/P99/Max: from the gateway's receive time (the event id's
	// millisecond) to the sink.
	LatencyP50 time.Duration `json:"latency_p50_ns"`
	LatencyP99 time.Duration `json:"latency_p99_ns"`
	LatencyMax time.Duration `json:"latency_max_ns"`
	// MaxRSS is the gateway's largest resident set seen (--pid), in bytes.
	MaxRSS int64 `json:"max_rss_bytes,omitempty"`
}

// e2eRun measures the gateway at url end to end: load as opts says, while
// the sink on sinkAddr counts deliveries; then waits up to drain for the
// backlog to clear. pid, when not zero, is the gateway's, for its RSS.
func e2eRun(ctx context.Context, e *env, url, sinkAddr string, drain time.Duration, pid int, opts bench.Options) (bench.Report, benchE2E, error) {
	sink := bench.NewSink()
	sinkURL, stopSink, err := bench.ServeAt(sinkAddr, sink)
	if err != nil {
		return bench.Report{}, benchE2E{}, fmt.Errorf("bench sink: %w", err)
	}
	defer stopSink()
	fmt.Fprintf(e.stderr, "sink: %s (point the gateway's destination here)\n", sinkURL)

	var (
		mu     sync.Mutex
		res    benchE2E
		prevD  int64
		prevAt = time.Now()
	)
	rss := func() {
		if pid == 0 {
			return
		}
		if n, err := readRSS(pid); err == nil {
			mu.Lock()
			res.MaxRSS = max(res.MaxRSS, n)
			mu.Unlock()
		}
	}
	opts.ProgressExtra = func(accepted int64) string {
		now, d := time.Now(), sink.Delivered()
		rate := float64(d-prevD) / now.Sub(prevAt).Seconds()
		prevD, prevAt = d, now
		backlog := accepted - d
		rss()
		mu.Lock()
		res.MaxBacklog = max(res.MaxBacklog, backlog)
		mss := res.MaxRSS
		mu.Unlock()
		s := fmt.Sprintf(" %10.0f delivered/s backlog %7d", rate, backlog)
		if pid != 0 {
			s += fmt.Sprintf(" rss %4d MB", mss>>20)
		}
		return s
	}
	started := time.Now()
	r, err := benchTarget(ctx, e, "hookgate", url, opts)
	if err != nil {
		return r, res, err
	}
	loadEnd := time.Now()
	res.BacklogAtEnd = int64(r.Accepted) - sink.Delivered()
	res.MaxBacklog = max(res.MaxBacklog, res.BacklogAtEnd)
	deadline := time.NewTimer(drain)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
wait:
	for sink.Delivered() < int64(r.Accepted) {
		select {
		case <-tick.C:
			rss()
		case <-deadline.C:
			break wait
		case <-ctx.Done():
			return r, res, ctx.Err()
		}
	}
	res.Delivered = sink.Delivered()
	res.Duplicates = sink.Duplicates()
	res.Complete = res.Delivered >= int64(r.Accepted)
	if res.Complete {
		res.Drain = max(0, sink.LastAt().Sub(loadEnd))
	} else {
		res.Drain = time.Since(loadEnd)
	}
	if last := sink.LastAt(); !last.IsZero() {
		res.EventsPerSecond = float64(res.Delivered) / last.Sub(started).Seconds()
	}
	res.LatencyP50, res.LatencyP99, res.LatencyMax = sink.Latency()
	return r, res, nil
}

func (r benchE2E) String() string {
	s := fmt.Sprintf("end to end: %d delivered (%d repeated), %.0f events/s first request to last delivery; backlog %d when the load stopped (max %d), drained in %s; latency p50 %s p99 %s max %s",
		r.Delivered, r.Duplicates, r.EventsPerSecond, r.BacklogAtEnd, r.MaxBacklog, r.Drain.Round(time.Millisecond),
		bench.FormatLatency(r.LatencyP50), bench.FormatLatency(r.LatencyP99), bench.FormatLatency(r.LatencyMax))
	if !r.Complete {
		s += "; NOT ALL DELIVERED"
	}
	if r.MaxRSS > 0 {
		s += fmt.Sprintf("; gateway max RSS %d MB", r.MaxRSS>>20)
	}
	return s
}

// readRSS reads a process's resident set size from /proc (Linux).
func readRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmRSS %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
