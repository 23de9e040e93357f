package cli

import (
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/api"
)

// newStatsCmd is `hookgate stats`: a running gateway's totals.
func newStatsCmd(e *env) *cobra.Command {
	var (
		af     apiFlags
		since  timeFlag
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show a running gateway's totals: events, rejections, backlog, dead letters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			setParam(q, "since", apiTime(since))
			var s api.Stats
			if err := c.do(cmd.Context(), "GET", "/stats", q, nil, &s); err != nil {
				return err
			}
			if asJSON {
				return printJSON(e.stdout, s)
			}
			return writeStats(e.stdout, s)
		},
	}
	af.register(cmd, e)
	cmd.Flags().Var(&since, "since", "count events and rejections received since this time (default 24h ago)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON")
	return cmd
}

func writeStats(w io.Writer, s api.Stats) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "since\t%s\n", fmtTime(&s.Since))
	fmt.Fprintf(tw, "events\t%d\n", s.Events)
	fmt.Fprintf(tw, "rejections\t%d\n", s.Rejections)
	fmt.Fprintf(tw, "last event\t%s\n", fmtTime(s.LastEventAt))
	fmt.Fprintf(tw, "sources\t%d\n", s.Sources)
	fmt.Fprintf(tw, "destinations\t%d (%d paused, %d with an open circuit)\n", s.Destinations, s.Paused, s.OpenCircuits)
	fmt.Fprintf(tw, "pending\t%d (%d due, oldest due %s)\n", s.Pending, s.Due, fmtTime(s.OldestDue))
	fmt.Fprintf(tw, "dead\t%d\n", s.Dead)
	fmt.Fprintf(tw, "jobs running\t%d\n", s.JobsRunning)
	return tw.Flush()
}
