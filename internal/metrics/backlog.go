package metrics

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookgate/hookgate/internal/store"
)

// backlogCollector reports each destination's backlog from the store, at
// most once per ttl: scrapes in between get the cached answer, and
// concurrent scrapes wait for one query rather than each making their own.
type backlogCollector struct {
	src     Backlog
	ttl     time.Duration
	timeout time.Duration
	now     func() time.Time
	log     *slog.Logger
	names   []string // configured destinations: reported even with no deliveries

	depth, oldest *prometheus.Desc

	mu    sync.Mutex
	tried time.Time // when the store was last asked
	at    time.Time // when stats were asked for; zero before the first answer
	stats []store.DestinationStats
}

func newBacklogCollector(o Options, now func() time.Time) *backlogCollector {
	c := &backlogCollector{
		src:     o.Backlog,
		ttl:     cmp.Or(o.BacklogTTL, 5*time.Second),
		timeout: cmp.Or(o.BacklogTimeout, 2*time.Second),
		now:     now,
		log:     o.Logger,
		names:   o.Destinations,
		depth: prometheus.NewDesc("hookgate_queue_depth",
			"Pending deliveries (due, leased, or waiting for a retry), by destination.", []string{"destination"}, nil),
		oldest: prometheus.NewDesc("hookgate_queue_oldest_due_seconds",
			"How long the oldest due delivery has waited past its due time (0 if none), by destination.", []string{"destination"}, nil),
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.oldest
}

// Collect implements prometheus.Collector.
func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	at, stats := c.get()
	if at.IsZero() {
		return // never answered: report nothing rather than zeros
	}
	seen := make(map[string]bool, len(stats))
	for _, s := range stats {
		seen[s.Destination] = true
		var late float64
		if !s.OldestDue.IsZero() && s.OldestDue.Before(at) {
			late = at.Sub(s.OldestDue).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(s.Pending), s.Destination)
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, late, s.Destination)
	}
	for _, name := range c.names {
		if !seen[name] {
			ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, 0, name)
			ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, 0, name)
		}
	}
}

// get returns the cached stats and when they were asked for, asking the
// store again once they are older than ttl. A failed query keeps the last
// answer (and is not retried before ttl either).
func (c *backlogCollector) get() (time.Time, []store.DestinationStats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.tried.IsZero() || now.Sub(c.tried) >= c.ttl {
		c.tried = now
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		stats, err := c.src.DestinationStats(ctx, now)
		cancel()
		if err != nil {
			c.log.Warn("metrics: read the delivery backlog", "err", err)
		} else {
			c.at, c.stats = now, stats
		}
	}
	return c.at, c.stats
}
