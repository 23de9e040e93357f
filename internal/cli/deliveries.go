package cli

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/api"
)

// newDeliveriesCmd is `hookgate deliveries`: deliveries and their
// attempts, through a running gateway's management API.
func newDeliveriesCmd(e *env) *cobra.Command {
	var af apiFlags
	cmd := &cobra.Command{
		Use:   "deliveries",
		Short: "List deliveries and show one with its attempts, through the management API",
	}
	af.register(cmd, e)
	cmd.AddCommand(newDeliveriesLsCmd(e, &af), newDeliveriesShowCmd(e, &af))
	return cmd
}

func newDeliveriesLsCmd(e *env, af *apiFlags) *cobra.Command {
	var (
		eventID, destination, state string
		limit                       int
		asJSON                      bool
	)
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List deliveries, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			setParam(q, "event", eventID)
			setParam(q, "destination", destination)
			setParam(q, "state", state)
			q.Set("limit", strconv.Itoa(limit))
			var list api.DeliveryList
			if err := c.do(cmd.Context(), "GET", "/deliveries", q, nil, &list); err != nil {
				return err
			}
			if asJSON {
				return printJSON(e.stdout, list)
			}
			return writeDeliveries(e.stdout, list.Deliveries, "", "(no deliveries)")
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&eventID, "event", "", "only deliveries of this event")
	fs.StringVar(&destination, "destination", "", "only deliveries to this destination")
	fs.StringVar(&state, "state", "", "only deliveries in this state (pending, succeeded, dead, discarded)")
	fs.IntVar(&limit, "limit", 100, "at most this many (1 to 1000)")
	fs.BoolVar(&asJSON, "json", false, "print the API's JSON")
	return cmd
}

func newDeliveriesShowCmd(e *env, af *apiFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show DELIVERY_ID",
		Short: "Show a delivery with its attempts: what was sent and what came back",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			var list api.AttemptList
			if err := c.do(cmd.Context(), "GET", "/deliveries/"+url.PathEscape(args[0])+"/attempts", nil, nil, &list); err != nil {
				return err
			}
			if asJSON {
				return printJSON(e.stdout, list)
			}
			return writeAttempts(e.stdout, list)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON")
	return cmd
}

func writeAttempts(w io.Writer, list api.AttemptList) error {
	d := list.Delivery
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "delivery\t%s\n", d.ID)
	fmt.Fprintf(tw, "event\t%s\n", d.EventID)
	fmt.Fprintf(tw, "destination\t%s\n", d.Destination)
	fmt.Fprintf(tw, "state\t%s\n", d.State)
	fmt.Fprintf(tw, "attempts\t%d\n", d.Attempts)
	fmt.Fprintf(tw, "next attempt\t%s\n", fmtTime(d.NextAt))
	fmt.Fprintf(tw, "last error\t%s\n", cmpDash(d.LastError))
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(list.Attempts) == 0 {
		fmt.Fprintln(w, "\n(no attempts yet)")
	}
	for _, a := range list.Attempts {
		fmt.Fprintf(w, "\nattempt %d  %s  %.1fms  status %d  -> %s\n", a.N, fmtTime(&a.StartedAt), a.DurationMS, a.Status, cmpDash(string(a.Outcome)))
		if a.Request.Method != "" || a.Request.URL != "" {
			fmt.Fprintf(w, "  > %s %s\n", a.Request.Method, a.Request.URL)
			writeHeaders(w, "  > ", a.Request.Headers)
		}
		if a.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", a.Error)
		}
		if r := a.Response; r != nil {
			fmt.Fprintf(w, "  < %d\n", r.Status)
			writeHeaders(w, "  < ", r.Headers)
			if r.Body.Body != "" {
				fmt.Fprintf(w, "  < (%s) %s\n", r.BodyEncoding, oneLine(r.Body.Body, 200))
			}
		}
	}
	return nil
}
