package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/hookgate/hookgate/internal/api"
)

// The bar is github.com/schollz/progressbar/v3: maintained, no cgo, draws
// on any io.Writer and rate-limits its redraws; golang.org/x/term (which it
// brings) tells whether stderr is a terminal, the only place a bar is drawn.

// Polling a job: first after pollFirst, then backing off to pollMax.
const (
	pollFirst = 50 * time.Millisecond
	pollMax   = 500 * time.Millisecond
)

// waitJob polls a bulk job until it is no longer running, drawing a
// progress bar described by what on e.stderr when it is a terminal. A
// failed job is an error.
func waitJob(ctx context.Context, e *env, c *apiClient, j api.Job, what string) (api.Job, error) {
	bar := newBar(e.stderr, what)
	wait := pollFirst
	for j.State == api.JobRunning {
		bar.show(j)
		select {
		case <-ctx.Done():
			bar.stop()
			return j, context.Cause(ctx)
		case <-time.After(wait):
		}
		wait = min(wait*2, pollMax)
		if err := c.do(ctx, "GET", "/jobs/"+j.ID, nil, nil, &j); err != nil {
			bar.stop()
			return j, err
		}
	}
	bar.show(j)
	bar.stop()
	if j.State == api.JobFailed {
		return j, fmt.Errorf("job %s stopped after %d of %d: %s", j.ID, j.Done, j.Total, j.Error)
	}
	return j, nil
}

// bar is a progress bar, or nothing when stderr is not a terminal.
type bar struct {
	p *progressbar.ProgressBar
}

func newBar(w io.Writer, what string) *bar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &bar{}
	}
	return &bar{p: progressbar.NewOptions(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))}
}

func (b *bar) show(j api.Job) {
	if b.p == nil || j.Total == 0 {
		return
	}
	if int64(j.Total) != b.p.GetMax64() {
		b.p.ChangeMax(max(j.Total, j.Done))
	}
	_ = b.p.Set(j.Done)
}

func (b *bar) stop() {
	if b.p != nil {
		_ = b.p.Finish()
	}
}
