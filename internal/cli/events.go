package cli

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/api"
	"github.com/hookgate/hookgate/internal/event"
)

// newEventsCmd is `hookgate events`: stored events, through a running
// gateway's management API.
func newEventsCmd(e *env) *cobra.Command {
	var af apiFlags
	cmd := &cobra.Command{
		Use:   "events",
		Short: "List and show stored events, through the management API",
	}
	af.register(cmd, e)
	cmd.AddCommand(newEventsLsCmd(e, &af), newEventsShowCmd(e, &af))
	return cmd
}

func newEventsLsCmd(e *env, af *apiFlags) *cobra.Command {
	var (
		source, typ, status, text string
		page                      pageFlags
	)
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List events, newest first, a page at a time",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			q := page.query("source", source, "type", typ, "status", status, "q", text)
			var p api.EventPage
			if err := c.do(cmd.Context(), "GET", "/events", q, nil, &p); err != nil {
				return err
			}
			if page.json {
				return printJSON(e.stdout, p)
			}
			return writeEvents(e.stdout, p)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&source, "source", "", "only events from this source")
	fs.StringVar(&typ, "type", "", "only events of this type")
	fs.StringVar(&status, "status", "", "only events with a delivery in this state (pending, succeeded, dead, discarded)")
	fs.StringVarP(&text, "query", "q", "", "only events whose body contains this text")
	page.register(cmd, "events")
	return cmd
}

func writeEvents(w io.Writer, page api.EventPage) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT\tRECEIVED\tSOURCE\tTYPE\tSIZE\tDELIVERIES")
	for _, ev := range page.Events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", ev.ID, fmtTime(&ev.ReceivedAt), ev.Source, cmpDash(ev.Type), ev.Size, stateCounts(ev.Deliveries))
	}
	if len(page.Events) == 0 {
		fmt.Fprintln(tw, "(no events)")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return writeNext(w, page.Next)
}

// stateCounts prints delivery counts as "dead:1 succeeded:2".
func stateCounts(m map[event.State]int) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, s := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s:%d", s, m[s]))
	}
	return strings.Join(parts, " ")
}

func cmpDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// EventDetail is `events show --json`'s output.
type EventDetail struct {
	Event      api.Event      `json:"event"`
	Deliveries []api.Delivery `json:"deliveries"`
}

func newEventsShowCmd(e *env, af *apiFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show EVENT_ID",
		Short: "Show an event as received (secrets redacted), with its deliveries",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			var d EventDetail
			id := url.PathEscape(args[0])
			if err := c.do(cmd.Context(), "GET", "/events/"+id, nil, nil, &d.Event); err != nil {
				return err
			}
			var list api.DeliveryList
			if err := c.do(cmd.Context(), "GET", "/events/"+id+"/deliveries", nil, nil, &list); err != nil {
				return err
			}
			d.Deliveries = list.Deliveries
			if asJSON {
				return printJSON(e.stdout, d)
			}
			return writeEvent(e.stdout, d)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func writeEvent(w io.Writer, d EventDetail) error {
	ev := d.Event
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "event\t%s\n", ev.ID)
	fmt.Fprintf(tw, "source\t%s\n", ev.Source)
	fmt.Fprintf(tw, "type\t%s\n", cmpDash(ev.Type))
	fmt.Fprintf(tw, "delivery id\t%s\n", cmpDash(ev.DeliveryID))
	fmt.Fprintf(tw, "received\t%s\n", fmtTime(&ev.ReceivedAt))
	fmt.Fprintf(tw, "request\t%s ?%s\n", ev.Method, ev.Query)
	fmt.Fprintf(tw, "size\t%d bytes\n", ev.Size)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nheaders:")
	writeHeaders(w, "  ", ev.Headers)
	fmt.Fprintf(w, "\nbody (%s):\n%s\n\n", ev.BodyEncoding, ev.Body.Body)
	return writeDeliveries(w, d.Deliveries, "", "(no deliveries)")
}

// writeHeaders prints headers sorted by name, one value a line.
func writeHeaders(w io.Writer, prefix string, h http.Header) {
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s%s: %s\n", prefix, k, v)
		}
	}
}
