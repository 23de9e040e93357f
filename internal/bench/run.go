package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Options configure one Run.
type Options struct {
	// URL is the target; every request is a POST to it. Required.
	URL string
	// Connections is the number of workers sending at once, each over its own
	// keep-alive connection. Default 64.
	Connections int
	// Duration bounds the measured window (after the warm-up). When both
	// Duration and Requests are zero, Duration is 10s.
	Duration time.Duration
	// Requests bounds the number of measured requests. Zero means no bound.
	// When both bounds are set, the first one reached ends the run.
	Requests int
	// BodySize is the size in bytes of each JSON body. Default 2048; values
	// under MinBodySize are raised to it.
	BodySize int
	// Warmup is sent before the measured window and left out of every figure,
	// so connection set-up, the first allocations and cold caches do not
	// count. Zero means no warm-up.
	Warmup time.Duration
	// Timeout bounds the wait for each response's headers. Default 30s.
	Timeout time.Duration
	// Sign, when set, is called on every request before it is sent, with its
	// body, to set signature headers. It must be safe for concurrent use and
	// must not keep body.
	Sign func(req *http.Request, body []byte) error
	// Rate, when not zero, paces the load at this many requests per second
	// in all (an open-loop load up to what Connections can carry); zero
	// sends as fast as the connections allow.
	Rate float64
	// Progress, when set, gets one line per second: elapsed time, requests/s
	// over that second and errors so far, then ProgressExtra's text.
	Progress io.Writer
	// ProgressExtra, when set, is called for each progress line and its
	// text appended (the end-to-end run adds deliveries and backlog).
	ProgressExtra func(accepted int64) string
}

func (o Options) withDefaults() Options {
	o.Connections = cmp.Or(o.Connections, 64)
	if o.Duration == 0 && o.Requests == 0 {
		o.Duration = 10 * time.Second
	}
	o.BodySize = cmp.Or(o.BodySize, 2048)
	o.Timeout = cmp.Or(o.Timeout, 30*time.Second)
	return o
}

func (o Options) validate() error {
	u, err := url.Parse(o.URL)
	switch {
	case o.URL == "":
		return errors.New("bench: URL is required")
	case err != nil:
		return fmt.Errorf("bench: URL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return fmt.Errorf("bench: URL %q: want http://host[:port]/path or https://...", o.URL)
	case o.Connections < 0 || o.Connections > 1<<16-1:
		return fmt.Errorf("bench: Connections %d: want 1 to 65535", o.Connections)
	case o.Duration < 0 || o.Requests < 0 || o.Warmup < 0 || o.BodySize < 0 || o.Rate < 0:
		return errors.New("bench: Duration, Requests, Warmup, BodySize and Rate must not be negative")
	}
	return nil
}

// Run sends load to o.URL until the duration or request bound is reached and
// reports what it measured. Requests that start during the warm-up are left
// out; requests in flight when the duration ends are waited for and counted.
// If ctx is cancelled, Run returns what it measured so far with ctx's error.
func Run(ctx context.Context, o Options) (Report, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return Report{}, err
	}
	b, err := newBodies(o.BodySize)
	if err != nil {
		return Report{}, err
	}
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          o.Connections,
		MaxIdleConnsPerHost:   o.Connections,
		MaxConnsPerHost:       o.Connections,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
		DisableCompression:    true,
	}
	defer tr.CloseIdleConnections()

	start := time.Now()
	r := &runner{opts: o, rt: tr, bodies: b, measureFrom: start.Add(o.Warmup)}
	if o.Rate > 0 {
		r.pace = rate.NewLimiter(rate.Limit(o.Rate), max(1, int(o.Rate/100)))
	}
	if o.Duration > 0 {
		r.deadline = r.measureFrom.Add(o.Duration)
	}
	stopProgress := r.startProgress(start)
	workers := make([]*worker, o.Connections)
	var wg sync.WaitGroup
	for i := range workers {
		workers[i] = &worker{index: uint16(i)}
		wg.Go(func() { r.work(ctx, workers[i]) })
	}
	wg.Wait()
	stopProgress()
	rep := r.report(workers)
	rep.Accepted = int(r.accepted.Load())
	return rep, ctx.Err()
}

// runner is the state shared by one Run's workers.
type runner struct {
	opts        Options
	rt          http.RoundTripper
	bodies      *bodies
	measureFrom time.Time
	deadline    time.Time // zero when only Requests bounds the run

	pace *rate.Limiter // nil without opts.Rate

	tickets  atomic.Int64 // measured requests claimed, against opts.Requests
	done     atomic.Int64 // requests completed, for progress
	failures atomic.Int64 // errors, for progress
	accepted atomic.Int64 // 2xx answers, warm-up included
}

// worker is one connection's loop and what it recorded. Only its own
// goroutine touches it until Run merges the workers.
type worker struct {
	index    uint16
	hist     histogram
	requests int
	errors   int
	statuses [600]int // by status code; 0 is transport failure
	sample   string
	last     time.Time // when its last measured request completed
}

func (r *runner) work(ctx context.Context, w *worker) {
	for seq := uint32(0); ctx.Err() == nil; seq++ {
		if r.pace != nil {
			if err := r.pace.Wait(ctx); err != nil {
				return
			}
		}
		began := time.Now()
		measured := !began.Before(r.measureFrom)
		if measured && !r.claim(began) {
			return
		}
		status, err := r.send(ctx, w, seq)
		ended := time.Now()
		if ctx.Err() != nil {
			return // cancelled: not the server's doing
		}
		r.done.Add(1)
		failed := err != nil || status < 200 || status > 299
		if failed {
			r.failures.Add(1)
		} else {
			r.accepted.Add(1)
		}
		if !measured {
			continue
		}
		w.requests++
		w.last = ended
		if status < 0 || status >= len(w.statuses) {
			status = 0
		}
		w.statuses[status]++
		if !failed {
			w.hist.record(ended.Sub(began))
			continue
		}
		w.errors++
		if w.sample == "" {
			w.sample = fmt.Sprintf("HTTP %d", status)
			if err != nil {
				w.sample = err.Error()
			}
		}
	}
}

// claim reports whether another measured request may start at now.
func (r *runner) claim(now time.Time) bool {
	if !r.deadline.IsZero() && !now.Before(r.deadline) {
		return false
	}
	return r.opts.Requests == 0 || r.tickets.Add(1) <= int64(r.opts.Requests)
}

// send makes one request and reads the whole response. status is 0 when the
// request failed in transport.
func (r *runner) send(ctx context.Context, w *worker, seq uint32) (status int, err error) {
	b := r.bodies.next(w.index, seq)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.opts.URL, b)
	if err != nil {
		b.Close()
		return 0, err
	}
	req.ContentLength = int64(len(b.bytes()))
	req.Header["Content-Type"] = []string{"application/json"}
	if r.opts.Sign != nil {
		if err := r.opts.Sign(req, b.bytes()); err != nil {
			b.Close()
			return 0, fmt.Errorf("sign: %w", err)
		}
	}
	resp, err := r.rt.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, fmt.Errorf("read response: %w", err)
	}
	return resp.StatusCode, nil
}

// startProgress prints a line to opts.Progress every second until the
// returned function is called; the function waits for the printer to stop.
func (r *runner) startProgress(start time.Time) (stop func()) {
	if r.opts.Progress == nil {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		prev, prevAt := int64(0), start
		for {
			select {
			case <-quit:
				return
			case now := <-t.C:
				done := r.done.Load()
				rate := float64(done-prev) / now.Sub(prevAt).Seconds()
				phase := ""
				if prevAt.Before(r.measureFrom) {
					phase = "  (warm-up)"
				}
				extra := ""
				if r.opts.ProgressExtra != nil {
					extra = r.opts.ProgressExtra(r.accepted.Load())
				}
				fmt.Fprintf(r.opts.Progress, "%4.0fs %10.0f req/s %8d errors%s%s\n",
					now.Sub(start).Seconds(), rate, r.failures.Load(), extra, phase)
				prev, prevAt = done, now
			}
		}
	})
	return func() { close(quit); wg.Wait() }
}

// report merges what the workers recorded.
func (r *runner) report(workers []*worker) Report {
	var (
		h                histogram
		requests, errors int
		last             time.Time
		sample           string
		statuses         = map[int]int{}
	)
	for _, w := range workers {
		h.merge(&w.hist)
		requests += w.requests
		errors += w.errors
		if w.last.After(last) {
			last = w.last
		}
		if sample == "" {
			sample = w.sample
		}
		for code, n := range w.statuses {
			if n > 0 {
				statuses[code] += n
			}
		}
	}
	var window time.Duration
	if requests > 0 {
		window = last.Sub(r.measureFrom)
	}
	return report(&h, requests, errors, window, statuses, sample)
}
