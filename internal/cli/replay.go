package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/api"
)

// newReplayCmd is `hookgate replay`: it delivers stored events again, as new
// deliveries, through a running gateway's management API.
func newReplayCmd(e *env) *cobra.Command {
	var (
		af           apiFlags
		to           []string
		source, typ  string
		since, until timeFlag
		dryRun       bool
	)
	cmd := &cobra.Command{
		Use: "replay EVENT_ID... [--to DEST] | replay --source S [--since T] [--until T] [--type T] [--to DEST] [--dry-run]",
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
			c, err := af.client()
			if err != nil {
				return err
			}
			if len(ids) > 0 {
				return replayIDs(cmd.Context(), e, c, ids, to)
			}
			req := api.BulkReplayRequest{Source: source, Type: typ, Since: apiTime(since), Until: apiTime(until), Destinations: to, DryRun: dryRun}
			return replayMatching(cmd.Context(), e, c, req)
		},
	}
	af.register(cmd, e)
	fs := cmd.Flags()
	fs.StringSliceVar(&to, "to", nil, "deliver to these destinations (repeat, or separate with commas); default: the destinations each event had")
	fs.StringVar(&source, "source", "", "replay the events from this source")
	fs.StringVar(&typ, "type", "", "replay the events of this type")
	fs.Var(&since, "since", "replay the events received at or after this time (RFC 3339, a date, or a duration ago such as 24h)")
	fs.Var(&until, "until", "replay the events received before this time")
	fs.BoolVar(&dryRun, "dry-run", false, "only count the events that would be replayed")
	return cmd
}

func replayIDs(ctx context.Context, e *env, c *apiClient, ids, to []string) error {
	return eachID(ids, func(id string) error {
		var list api.DeliveryList
		if err := c.do(ctx, "POST", "/events/"+url.PathEscape(id)+"/replay", nil, api.ReplayRequest{Destinations: to}, &list); err != nil {
			return err
		}
		if len(list.Deliveries) == 0 {
			fmt.Fprintf(e.stdout, "replayed %s: no destinations (it had no deliveries; use --to)\n", id)
			return nil
		}
		var dests []string
		for _, d := range list.Deliveries {
			dests = append(dests, d.Destination)
		}
		fmt.Fprintf(e.stdout, "replayed %s to %s\n", id, strings.Join(dests, ", "))
		return nil
	})
}

// replayMatching replays every event matching req, as a job of the
// gateway's. Events received after it starts are left out.
func replayMatching(ctx context.Context, e *env, c *apiClient, req api.BulkReplayRequest) error {
	if req.DryRun {
		var m api.Matched
		if err := c.do(ctx, "POST", "/replay", nil, req, &m); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%d events match\n", m.Matched)
		return nil
	}
	var j api.Job
	if err := c.do(ctx, "POST", "/replay", nil, req, &j); err != nil {
		return err
	}
	j, err := waitJob(ctx, e, c, j, "replaying events")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "replayed %d events: %d new deliveries\n", j.Done, j.Deliveries)
	return nil
}
