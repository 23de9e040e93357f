package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/api"
)

// newDeadCmd is `hookgate dead`: dead deliveries, through a running
// gateway's management API.
func newDeadCmd(e *env) *cobra.Command {
	var af apiFlags
	cmd := &cobra.Command{
		Use:   "dead",
		Short: "List, retry and discard dead deliveries (those that used up their attempts), through the management API",
	}
	af.register(cmd, e)
	cmd.AddCommand(newDeadLsCmd(e, &af), newDeadRetryCmd(e, &af), newDeadDiscardCmd(e, &af))
	return cmd
}

func newDeadLsCmd(e *env, af *apiFlags) *cobra.Command {
	var (
		source, destination, eventID string
		page                         pageFlags
	)
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List dead deliveries, newest event first (the filters are those of retry --all)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			q := page.query("source", source, "destination", destination, "event", eventID)
			var list api.DeliveryList
			if err := c.do(cmd.Context(), "GET", "/dead", q, nil, &list); err != nil {
				return err
			}
			if page.json {
				return printJSON(e.stdout, list)
			}
			return writeDeliveries(e.stdout, list.Deliveries, list.Next, "(no dead deliveries)")
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&source, "source", "", "only deliveries of events from this source")
	fs.StringVar(&destination, "destination", "", "only deliveries to this destination")
	fs.StringVar(&eventID, "event", "", "only deliveries of this event")
	page.register(cmd, "deliveries of events")
	return cmd
}

func newDeadRetryCmd(e *env, af *apiFlags) *cobra.Command {
	var bulk deadBulk
	cmd := &cobra.Command{
		Use:   "retry DELIVERY_ID... | retry --all [--source S] [--destination D] [--since T] [--until T] [--dry-run]",
		Short: "Make dead deliveries due again now, each with a fresh budget (their attempts are kept)",
		Args:  bulk.args,
		RunE: func(cmd *cobra.Command, ids []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			if bulk.all {
				return bulk.retry(cmd.Context(), e, c)
			}
			return eachID(ids, func(id string) error {
				var d api.Delivery
				if err := c.do(cmd.Context(), "POST", "/deliveries/"+url.PathEscape(id)+"/retry", nil, nil, &d); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "retried %s\n", id)
				return nil
			})
		},
	}
	bulk.flags(cmd)
	return cmd
}

// retry retries every dead delivery matching the flags, as a job of the
// gateway's.
func (b *deadBulk) retry(ctx context.Context, e *env, c *apiClient) error {
	req := api.DeadRetryRequest{Source: b.source, Destination: b.destination, Since: apiTime(b.since), Until: apiTime(b.until), DryRun: b.dryRun}
	if b.dryRun {
		var m api.Matched
		if err := c.do(ctx, "POST", "/dead/retry", nil, req, &m); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%d dead deliveries match\n", m.Matched)
		return nil
	}
	var j api.Job
	if err := c.do(ctx, "POST", "/dead/retry", nil, req, &j); err != nil {
		return err
	}
	j, err := waitJob(ctx, e, c, j, "retrying dead deliveries")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "retried %d dead deliveries\n", j.Done)
	return nil
}

func newDeadDiscardCmd(e *env, af *apiFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "discard DELIVERY_ID...",
		Short: "Give up dead (or pending) deliveries: kept, with their attempts, for the record, and never delivered",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			return eachID(ids, func(id string) error {
				if err := c.do(cmd.Context(), "POST", "/deliveries/"+url.PathEscape(id)+"/discard", nil, nil, nil); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "discarded %s\n", id)
				return nil
			})
		},
	}
}

// eachID runs f for every id, going on after a failure, and returns the
// failures joined. An id that is not one (empty, spaces) fails without a
// call.
func eachID(ids []string, f func(id string) error) error {
	var errs []error
	for _, id := range ids {
		if strings.TrimSpace(id) == "" {
			errs = append(errs, errors.New("empty id"))
			continue
		}
		if err := f(id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// setParam sets q's name to v unless v is empty.
func setParam(q url.Values, name, v string) {
	if v != "" {
		q.Set(name, v)
	}
}

// writeDeliveries prints deliveries as a table, then the next page's
// cursor when there is one.
func writeDeliveries(w io.Writer, ds []api.Delivery, next, none string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DELIVERY\tEVENT\tDESTINATION\tSTATE\tATTEMPTS\tUPDATED\tLAST ERROR")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.EventID, d.Destination, d.State, d.Attempts,
			fmtTime(&d.UpdatedAt), oneLine(d.LastError, 60))
	}
	if len(ds) == 0 {
		fmt.Fprintln(tw, none)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return writeNext(w, next)
}

// writeNext prints how to get the next page.
func writeNext(w io.Writer, next string) error {
	if next == "" {
		return nil
	}
	_, err := fmt.Fprintf(w, "more: --cursor %s\n", next)
	return err
}

// oneLine shortens s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
