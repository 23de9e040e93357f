package store

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hookgate/hookgate/internal/event"
)

// The checks below are the engine-independent part of the contract: every
// engine runs them on its inputs before writing, so all engines refuse the
// same calls with the same errors.

// CheckIngest checks Ingest's arguments.
func CheckIngest(ev *event.Event, routes []Route) error {
	switch {
	case ev == nil:
		return errors.New("nil event")
	case ev.Source == "":
		return errors.New("event has no source")
	case ev.ReceivedAt.IsZero():
		return errors.New("event has no receive time")
	}
	for i, rt := range routes {
		d := rt.Destination
		if d == "" {
			return errors.New("empty destination name")
		}
		if slices.ContainsFunc(routes[:i], func(e Route) bool { return e.Destination == d }) {
			return fmt.Errorf("destination %q listed twice", d)
		}
		if err := CheckOrderingKey(rt.OrderingKey); err != nil {
			return fmt.Errorf("destination %q: %w", d, err)
		}
	}
	return nil
}

// CheckOutcome checks one of Complete's outcomes.
func CheckOutcome(o Outcome) error {
	a := o.Attempt
	switch {
	case o.DeliveryID == "":
		return errors.New("no delivery id")
	case !o.State.Valid(), o.State == event.Discarded: // discarding is by hand
		return fmt.Errorf("invalid state %q", o.State)
	case a.N < 1:
		return fmt.Errorf("attempt number %d, want at least 1", a.N)
	case a.StartedAt.IsZero():
		return errors.New("attempt has no start time")
	case a.DeliveryID != "" && a.DeliveryID != o.DeliveryID:
		return fmt.Errorf("attempt belongs to delivery %s", a.DeliveryID)
	case a.Outcome != "" && a.Outcome != o.State:
		return fmt.Errorf("attempt outcome %q differs from state %q", a.Outcome, o.State)
	}
	return nil
}

// CheckReplay checks Replay's and ReplayMatching's destinations and time.
func CheckReplay(destinations []string, now time.Time) error {
	if now.IsZero() {
		return errors.New("zero time")
	}
	for i, d := range destinations {
		if d == "" {
			return errors.New("empty destination name")
		}
		if slices.Contains(destinations[:i], d) {
			return fmt.Errorf("destination %q listed twice", d)
		}
	}
	return nil
}
