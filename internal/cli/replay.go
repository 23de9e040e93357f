package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/store"
)

// newReplayCmd is `hookgate replay`: it delivers stored events again, as new
// deliveries, working on the store a config names (with or without the
// gateway running).
func newReplayCmd(e *env) *cobra.Command {
	var (
		path         string
		to           []string
		source, typ  string
		since, until timeFlag
		dryRun       bool
	)
	cmd := &cobra.Command{
		Use: "replay EVENT_ID... [--to DEST] | replay --source S [--since T] [--until T] [--type T] [--to DEST]",
		Short: "Deliver stored events again, as new deliveries (to --to, or to the destinations each event had); " +
			"the old deliveries are kept as they are",
		RunE: func(cmd *cobra.Command, ids []string) error {
			filtered := source != "" || typ != "" || !since.t.IsZero() || !until.t.IsZero()
			switch {
			case len(ids) > 0 && filtered:
				return errors.New("give event ids or filters (--source, --type, --since, --until), not both")
			case len(ids) == 0 && !filtered:
				return errors.New("give event ids, or filters (--source, --type, --since, --until) to select events")
			case len(ids) > 0 && dryRun:
				return errors.New("--dry-run goes with filters")
			}
			return withConfigStore(cmd.Context(), e, path, func(cfg *config.Config, st store.Store) error {
				if err := checkDestinations(cfg, to); err != nil {
					return err
				}
				if len(ids) > 0 {
					return replayIDs(cmd.Context(), e, st, ids, to)
				}
				f := store.EventFilter{Source: source, Type: typ, Since: since.t, Until: until.t}
				return replayMatching(cmd.Context(), e, st, f, to, dryRun)
			})
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&path, "config", "c", "hookgate.yaml", "config file (its storage is used)")
	fs.StringSliceVar(&to, "to", nil, "deliver to these destinations (repeat, or separate with commas); default: the destinations each event had")
	fs.StringVar(&source, "source", "", "replay the events from this source")
	fs.StringVar(&typ, "type", "", "replay the events of this type")
	fs.Var(&since, "since", "replay the events received at or after this time (RFC 3339, a date, or a duration ago such as 24h)")
	fs.Var(&until, "until", "replay the events received before this time")
	fs.BoolVar(&dryRun, "dry-run", false, "only count the events that would be replayed")
	return cmd
}

func replayIDs(ctx context.Context, e *env, st store.Store, ids, to []string) error {
	var errs []error
	for _, id := range ids {
		ds, err := st.Replay(ctx, id, to, time.Now())
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				err = errors.New("no event with this id")
			}
			errs = append(errs, fmt.Errorf("replay %s: %w", id, err))
			continue
		}
		var dests []string
		for _, d := range ds {
			dests = append(dests, d.Destination)
		}
		if len(ds) == 0 {
			fmt.Fprintf(e.stdout, "replayed %s: no destinations (it had no deliveries; use --to)\n", id)
			continue
		}
		fmt.Fprintf(e.stdout, "replayed %s to %s\n", id, strings.Join(dests, ", "))
	}
	return errors.Join(errs...)
}

// replayMatching replays every event matching f, in chunks, printing
// progress. Events received after it starts are left out.
func replayMatching(ctx context.Context, e *env, st store.Store, f store.EventFilter, to []string, dryRun bool) error {
	now := time.Now()
	if f.Until.IsZero() || f.Until.After(now) {
		f.Until = now
	}
	total, err := st.CountEvents(ctx, f)
	if err != nil {
		return err
	}
	if dryRun || total == 0 {
		fmt.Fprintf(e.stdout, "%d events match\n", total)
		return nil
	}
	fmt.Fprintf(e.stdout, "replaying %d events\n", total)
	f.Limit = bulkChunk
	done, made := 0, 0
	for {
		c, err := st.ReplayMatching(ctx, f, to, now)
		if err != nil {
			return fmt.Errorf("after %d of %d: %w", done, total, err)
		}
		if c.N == 0 {
			break
		}
		done, made, f.After = done+c.N, made+c.Deliveries, c.Last
		fmt.Fprintf(e.stdout, "%d of %d\n", done, total)
	}
	fmt.Fprintf(e.stdout, "replayed %d events: %d new deliveries\n", done, made)
	return nil
}
