package store

import "fmt"

// Page sizes and purge batches, as EventQuery.Limit and Retention.Limit
// document them.
const (
	defaultPage  = 50
	maxPage      = 500
	defaultPurge = 500
)

// PageSize is the number of events a listing for q returns at most: Limit,
// 50 when it is 0 (or less), and never over 500.
func (q EventQuery) PageSize() int {
	if q.Limit <= 0 {
		return defaultPage
	}
	return min(q.Limit, maxPage)
}

// Check reports why an engine cannot run q, if it cannot.
func (q EventQuery) Check() error {
	if q.State != "" && !q.State.Valid() {
		return fmt.Errorf("unknown delivery state %q", q.State)
	}
	return nil
}

// BatchSize is how many events (and, separately, rejections) one Purge
// removes at most: Limit, or 500 when it is 0 (or less).
func (r Retention) BatchSize() int {
	if r.Limit <= 0 {
		return defaultPurge
	}
	return r.Limit
}
