package api

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/hookgate/hookgate/internal/bulk"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/reply"
)

const (
	// maxRunning caps the bulk jobs running at once: each holds a store
	// connection in turns, and more would only slow one another.
	maxRunning = 4
	// keepJobs is how many jobs are remembered (finished ones are dropped,
	// oldest first, past it).
	keepJobs = 100
)

// Job states.
const (
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
)

// Job is a bulk job's progress, GET /jobs/{id}'s answer.
type Job struct {
	ID string `json:"id"`
	// Kind is retry_dead or replay.
	Kind string `json:"kind"`
	// State is running, succeeded or failed.
	State string `json:"state"`
	// Total is how many items matched when the job started; Done how many
	// it handled so far (it can end above Total when more matched while
	// it ran).
	Total int `json:"total"`
	Done  int `json:"done"`
	// Deliveries is how many deliveries a replay created.
	Deliveries int        `json:"deliveries"`
	Error      string     `json:"error,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// jobs are the API's bulk jobs: in memory, per process.
type jobs struct {
	ctx    context.Context // cancelled by close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	byID   map[string]*Job
	order  []string // ids, oldest first
	closed bool
}

func newJobs() *jobs {
	ctx, cancel := context.WithCancel(context.Background())
	return &jobs{ctx: ctx, cancel: cancel, byID: map[string]*Job{}}
}

// run is one job's work.
type run func(ctx context.Context, now time.Time, p bulk.Progress) (bulk.Result, error)

// startJob starts a job and answers 202 with it.
func (a *API) startJob(w http.ResponseWriter, kind string, f run) error {
	now := a.now()
	j := &Job{ID: event.NewID(), Kind: kind, State: JobRunning, StartedAt: now.UTC()}
	if err := a.jobs.add(j); err != nil {
		return err
	}
	view, _ := a.jobs.get(j.ID)
	a.log.Info("api: job started", "job", j.ID, "kind", kind)
	go func() {
		defer a.jobs.wg.Done()
		res, err := f(a.jobs.ctx, now, func(done, total, deliveries int) {
			a.jobs.update(j.ID, func(j *Job) { j.Done, j.Total, j.Deliveries = done, total, deliveries })
			if done > 0 {
				a.notify()
			}
		})
		end := a.now().UTC()
		a.jobs.update(j.ID, func(j *Job) {
			j.Done, j.Total, j.Deliveries, j.FinishedAt = res.Done, res.Total, res.Deliveries, &end
			j.State = JobSucceeded
			if err != nil {
				j.State, j.Error = JobFailed, errText(err)
			}
		})
		if err != nil {
			a.log.Error("api: job failed", "job", j.ID, "kind", kind, "done", res.Done, "total", res.Total, "err", err)
			return
		}
		a.log.Info("api: job done", "job", j.ID, "kind", kind, "done", res.Done, "deliveries", res.Deliveries)
	}()
	w.Header().Set("Location", Prefix+"/jobs/"+j.ID)
	reply.JSON(w, http.StatusAccepted, view)
	return nil
}

// errText is what a failed job shows: the store's detail stays in the log.
func errText(err error) string {
	if errors.Is(err, context.Canceled) {
		return "cancelled: the gateway is stopping"
	}
	return "failed; see the gateway's log"
}

// add registers a running job, refusing it past maxRunning or after close.
// The caller must start its goroutine (wg is counted here).
func (js *jobs) add(j *Job) error {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.closed {
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "the gateway is stopping"}
	}
	if js.runningLocked() >= maxRunning {
		return &Error{Status: http.StatusTooManyRequests, Code: "too_many_jobs",
			Message: "too many bulk jobs running; wait for one to finish (GET /jobs/{id})"}
	}
	js.byID[j.ID] = j
	js.order = append(js.order, j.ID)
	js.trimLocked()
	js.wg.Add(1)
	return nil
}

// trimLocked forgets the oldest finished jobs past keepJobs.
func (js *jobs) trimLocked() {
	for i := 0; len(js.order) > keepJobs && i < len(js.order); {
		id := js.order[i]
		if js.byID[id].State == JobRunning {
			i++
			continue
		}
		delete(js.byID, id)
		js.order = append(js.order[:i], js.order[i+1:]...)
	}
}

func (js *jobs) update(id string, f func(*Job)) {
	js.mu.Lock()
	defer js.mu.Unlock()
	if j, ok := js.byID[id]; ok {
		f(j)
	}
}

// get returns a copy of the job.
func (js *jobs) get(id string) (Job, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	j, ok := js.byID[id]
	if !ok {
		return Job{}, false
	}
	return *j, true
}

func (js *jobs) running() int {
	js.mu.Lock()
	defer js.mu.Unlock()
	return js.runningLocked()
}

func (js *jobs) runningLocked() int {
	n := 0
	for _, j := range js.byID {
		if j.State == JobRunning {
			n++
		}
	}
	return n
}

// close cancels the running jobs and waits for them until ctx is done.
func (js *jobs) close(ctx context.Context) error {
	js.mu.Lock()
	js.closed = true
	js.mu.Unlock()
	js.cancel()
	done := make(chan struct{})
	go func() {
		js.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
