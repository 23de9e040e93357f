package deliver

import (
	"errors"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
)

func fixed(f float64) func() float64 { return func() float64 { return f } }

func TestBackoff(t *testing.T) {
	t.Parallel()
	p := Policy{MaxAttempts: 10, Initial: time.Second, Max: time.Minute}
	tests := []struct {
		n    int
		rnd  float64
		want time.Duration
	}{
		{1, 1, time.Second},
		{2, 1, 2 * time.Second},
		{3, 1, 4 * time.Second},
		{6, 1, 32 * time.Second},
		{7, 1, time.Minute}, // 64s capped
		{60, 1, time.Minute},
		{1000, 1, time.Minute}, // no overflow
		{3, 0.5, 2 * time.Second},
		{3, 0, 0},
		{3, -1, 0}, // clamped
		{3, 7, 4 * time.Second},
		{0, 1, time.Second}, // treated as the first
	}
	for _, tt := range tests {
		if got := p.Backoff(tt.n, fixed(tt.rnd)); got != tt.want {
			t.Errorf("Backoff(%d, %v) = %s, want %s", tt.n, tt.rnd, got, tt.want)
		}
	}
}

func TestBackoffDefaults(t *testing.T) {
	t.Parallel()
	var p Policy
	if got, want := p.Backoff(1, fixed(1)), DefaultInitial; got != want {
		t.Errorf("zero Policy Backoff(1) = %s, want %s", got, want)
	}
	if got, want := p.Backoff(40, fixed(1)), DefaultMax; got != want {
		t.Errorf("zero Policy Backoff(40) = %s, want %s", got, want)
	}
	huge := Policy{Initial: time.Hour, Max: 1<<63 - 1}
	if got := huge.Backoff(200, fixed(1)); got <= 0 {
		t.Errorf("Backoff with a huge Max = %s, want positive", got)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r    destination.Result
		want Class
	}{
		{destination.Result{Status: 200}, Success},
		{destination.Result{Status: 204}, Success},
		{destination.Result{Status: 299}, Success},
		{destination.Result{Err: errors.New("connection refused")}, Retryable},
		{destination.Result{Status: 200, Err: errors.New("odd")}, Retryable},
		{destination.Result{}, Retryable},
		{destination.Result{Status: 408}, Retryable},
		{destination.Result{Status: 429}, Retryable},
		{destination.Result{Status: 500}, Retryable},
		{destination.Result{Status: 503}, Retryable},
		{destination.Result{Status: 599}, Retryable},
		{destination.Result{Status: 101}, Permanent},
		{destination.Result{Status: 301}, Permanent},
		{destination.Result{Status: 302}, Permanent},
		{destination.Result{Status: 400}, Permanent},
		{destination.Result{Status: 401}, Permanent},
		{destination.Result{Status: 404}, Permanent},
		{destination.Result{Status: 410}, Permanent},
		{destination.Result{Status: 422}, Permanent},
	}
	for _, tt := range tests {
		if got := Classify(tt.r); got != tt.want {
			t.Errorf("Classify(status %d, err %v) = %s, want %s", tt.r.Status, tt.r.Err, got, tt.want)
		}
	}
}

func TestNext(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	p := Policy{MaxAttempts: 4, Initial: time.Second, Max: time.Minute}
	tests := []struct {
		name      string
		r         destination.Result
		n         int
		rnd       float64
		wantState event.State
		wantNext  time.Time
	}{
		{"success", destination.Result{Status: 200}, 1, 1, event.Succeeded, time.Time{}},
		{"success on last", destination.Result{Status: 201}, 4, 1, event.Succeeded, time.Time{}},
		{"retry first", destination.Result{Status: 503}, 1, 1, event.Pending, now.Add(time.Second)},
		{"retry third", destination.Result{Err: errors.New("timeout")}, 3, 0.5, event.Pending, now.Add(2 * time.Second)},
		{"dead after max", destination.Result{Status: 500}, 4, 1, event.Dead, time.Time{}},
		{"dead past max", destination.Result{Status: 500}, 9, 1, event.Dead, time.Time{}},
		{"permanent 400", destination.Result{Status: 400}, 1, 1, event.Dead, time.Time{}},
		{"permanent 3xx", destination.Result{Status: 308}, 1, 1, event.Dead, time.Time{}},
		{"retry-after longer", destination.Result{Status: 429, RetryAfter: 30 * time.Second}, 1, 1, event.Pending, now.Add(30 * time.Second)},
		{"retry-after shorter", destination.Result{Status: 503, RetryAfter: time.Second}, 3, 1, event.Pending, now.Add(4 * time.Second)},
		{"retry-after capped", destination.Result{Status: 429, RetryAfter: 24 * time.Hour}, 1, 1, event.Pending, now.Add(time.Minute)},
		{"retry-after still dead at max", destination.Result{Status: 429, RetryAfter: time.Second}, 4, 1, event.Dead, time.Time{}},
		{"retry-after ignored on 4xx", destination.Result{Status: 403, RetryAfter: time.Second}, 1, 1, event.Dead, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			state, next := p.Next(tt.r, tt.n, now, fixed(tt.rnd))
			if state != tt.wantState || !next.Equal(tt.wantNext) {
				t.Errorf("Next = %s, %s; want %s, %s", state, next, tt.wantState, tt.wantNext)
			}
		})
	}
}

func TestClassifyRetryStatuses(t *testing.T) {
	t.Parallel()
	p := Policy{RetryStatuses: []int{409, 503}}
	none := Policy{RetryStatuses: []int{}}
	tests := []struct {
		p    Policy
		r    destination.Result
		want Class
	}{
		{p, destination.Result{Status: 409}, Retryable},
		{p, destination.Result{Status: 503}, Retryable},
		{p, destination.Result{Status: 500}, Permanent},
		{p, destination.Result{Status: 429}, Permanent},
		{p, destination.Result{Status: 204}, Success},
		{p, destination.Result{Err: errors.New("refused")}, Retryable},
		{none, destination.Result{Status: 503}, Permanent},
		{none, destination.Result{}, Retryable},
		{Policy{}, destination.Result{Status: 410}, Permanent},
	}
	for _, tt := range tests {
		if got := tt.p.Classify(tt.r); got != tt.want {
			t.Errorf("Policy%v.Classify(status %d, err %v) = %s, want %s", tt.p.RetryStatuses, tt.r.Status, tt.r.Err, got, tt.want)
		}
	}
}

func TestDecideMaxAge(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	p := Policy{MaxAttempts: 10, Initial: 10 * time.Minute, Max: time.Hour, MaxAge: time.Hour}
	tests := []struct {
		name      string
		r         destination.Result
		n         int
		now       time.Time
		wantState event.State
		wantNext  time.Time
	}{
		{"retry within the age", destination.Result{Status: 503}, 1, since, event.Pending, since.Add(10 * time.Minute)},
		{"retry exactly at the age", destination.Result{Status: 503}, 1, since.Add(50 * time.Minute), event.Pending, since.Add(time.Hour)},
		{"retry past the age", destination.Result{Status: 503}, 2, since.Add(45 * time.Minute), event.Dead, time.Time{}},
		{"retry-after past the age", destination.Result{Status: 429, RetryAfter: 30 * time.Minute}, 1, since.Add(45 * time.Minute), event.Dead, time.Time{}},
		{"success past the age", destination.Result{Status: 200}, 1, since.Add(2 * time.Hour), event.Succeeded, time.Time{}},
		{"no max age", destination.Result{Status: 503}, 7, since.Add(100 * time.Hour), event.Pending, since.Add(101 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := p
			if tt.name == "no max age" {
				q.MaxAge = 0
			}
			state, next := q.Decide(tt.r, tt.n, since, tt.now, fixed(1))
			if state != tt.wantState || !next.Equal(tt.wantNext) {
				t.Errorf("Decide = %s, %s; want %s, %s", state, next, tt.wantState, tt.wantNext)
			}
		})
	}
}

func TestBudgetStart(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	d := event.Delivery{CreatedAt: created, Attempts: 5, AttemptBase: 3}
	if got := budgetStart(d); !got.Equal(created) {
		t.Errorf("budgetStart of a delivery never retried = %s, want its creation %s", got, created)
	}
	d.RetriedAt = created.Add(time.Hour)
	if got := budgetStart(d); !got.Equal(d.RetriedAt) {
		t.Errorf("budgetStart of a retried delivery = %s, want its retry %s", got, d.RetriedAt)
	}
	if got := tries(d); got != 2 {
		t.Errorf("tries = %d, want 2", got)
	}
}
