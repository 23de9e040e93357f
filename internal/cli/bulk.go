package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/app"
	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/store"
)

// bulkChunk is how many items one store call of a bulk job handles: each
// chunk is a transaction of its own, so a large job never holds the
// database for long, and progress is printed between chunks.
const bulkChunk = 500

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

// retry retries every dead delivery matching the flags, in chunks, printing
// progress.
func (b *deadBulk) retry(ctx context.Context, e *env, path string) error {
	f := store.DeadFilter{Source: b.source, Destination: b.destination, Since: b.since.t, Until: b.until.t}
	return withStore(ctx, e, path, func(st store.Store) error {
		total, err := st.CountDead(ctx, f)
		if err != nil {
			return err
		}
		if b.dryRun || total == 0 {
			fmt.Fprintf(e.stdout, "%d dead deliveries match\n", total)
			return nil
		}
		fmt.Fprintf(e.stdout, "retrying %d dead deliveries\n", total)
		now := time.Now()
		f.Limit = bulkChunk
		done := 0
		for {
			c, err := st.RetryDead(ctx, f, now)
			if err != nil {
				return fmt.Errorf("after %d of %d: %w", done, total, err)
			}
			if c.N == 0 {
				break
			}
			done += c.N
			f.After = c.Last
			fmt.Fprintf(e.stdout, "%d of %d\n", done, total)
		}
		fmt.Fprintf(e.stdout, "retried %d dead deliveries\n", done)
		return nil
	})
}

// newDiscardCmd is `hookgate dead discard`.
func newDiscardCmd(e *env, path *string) *cobra.Command {
	return &cobra.Command{
		Use:   "discard DELIVERY_ID...",
		Short: "Give up dead (or pending) deliveries: kept, with their attempts, for the record, and never delivered",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			return withStore(cmd.Context(), e, *path, func(st store.Store) error {
				var errs []error
				for _, id := range ids {
					if err := st.Discard(cmd.Context(), id, time.Now()); err != nil {
						if errors.Is(err, store.ErrNotFound) {
							err = errors.New("no dead or pending delivery with this id")
						}
						errs = append(errs, fmt.Errorf("discard %s: %w", id, err))
						continue
					}
					fmt.Fprintf(e.stdout, "discarded %s\n", id)
				}
				return errors.Join(errs...)
			})
		},
	}
}

// withConfigStore is withStore for commands that also need the config.
func withConfigStore(ctx context.Context, e *env, path string, f func(*config.Config, store.Store) error) error {
	cfg, err := loadConfig(e, path)
	if err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, cfg.Storage)
	if err != nil {
		return err
	}
	return errors.Join(f(cfg, st), st.Close())
}

// checkDestinations fails unless every name is a destination of cfg: a
// delivery to an unknown destination would wait forever.
func checkDestinations(cfg *config.Config, names []string) error {
	var known []string
	for _, d := range cfg.Destinations {
		known = append(known, d.Name)
	}
	for _, n := range names {
		if !slices.Contains(known, n) {
			return fmt.Errorf("--to %s: no such destination in %s (have %s)", n, cfg.File, strings.Join(known, ", "))
		}
	}
	return nil
}
