package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// timeFlag is a flag that takes a time: RFC 3339 ("2026-05-01T12:00:00Z"),
// a date ("2026-05-01", midnight UTC), or a duration meaning that long ago
// ("90m", "24h").
type timeFlag struct{ t time.Time }

func (f *timeFlag) String() string {
	if f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Type() string { return "time" }

func (f *timeFlag) Set(s string) error {
	t, err := parseTime(s, time.Now())
	if err != nil {
		return err
	}
	f.t = t
	return nil
}

// parseTime reads a --since or --until value at now.
func parseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q (want 2026-05-01T12:00:00Z, 2026-05-01, or a duration ago such as 24h)", s)
}

// deadBulk holds the flags of `dead retry --all`.
type deadBulk struct {
	all                 bool
	source, destination string
	since, until        timeFlag
	dryRun              bool
}

func (b *deadBulk) flags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.BoolVar(&b.all, "all", false, "retry every dead delivery that matches the filters below (all of them without any)")
	fs.StringVar(&b.source, "source", "", "with --all: only deliveries of events from this source")
	fs.StringVar(&b.destination, "destination", "", "with --all: only deliveries to this destination")
	fs.Var(&b.since, "since", "with --all: only deliveries of events received at or after this time (RFC 3339, a date, or a duration ago such as 24h)")
	fs.Var(&b.until, "until", "with --all: only deliveries of events received before this time")
	fs.BoolVar(&b.dryRun, "dry-run", false, "with --all: only count the dead deliveries that would be retried")
}

// args checks that retry got delivery ids or --all, not both.
func (b *deadBulk) args(cmd *cobra.Command, ids []string) error {
	filtered := b.source != "" || b.destination != "" || !b.since.t.IsZero() || !b.until.t.IsZero() || b.dryRun
	switch {
	case b.all && len(ids) > 0:
		return errors.New("give delivery ids or --all, not both")
	case !b.all && len(ids) == 0:
		return errors.New("give the ids of the dead deliveries to retry, or --all")
	case !b.all && filtered:
		return errors.New("--source, --destination, --since, --until and --dry-run go with --all")
	}
	return nil
}
