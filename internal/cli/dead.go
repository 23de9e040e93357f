package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/app"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// newDeadCmd works on dead deliveries directly in the store a config names,
// so it works whether or not the gateway is running.
func newDeadCmd(e *env) *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "dead",
		Short: "List, retry and discard dead deliveries (those that used up their attempts)",
	}
	cmd.PersistentFlags().StringVarP(&path, "config", "c", "hookgate.yaml", "config file (its storage is used)")

	var limit int
	var asJSON bool
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List dead deliveries, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd.Context(), e, path, func(st store.Store) error {
				ds, err := st.Deliveries(cmd.Context(), store.DeliveryFilter{State: event.Dead, Limit: limit})
				if err != nil {
					return fmt.Errorf("list dead deliveries: %w", err)
				}
				if asJSON {
					enc := json.NewEncoder(e.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(ds)
				}
				return writeDeliveries(e, ds)
			})
		},
	}
	ls.Flags().IntVar(&limit, "limit", 100, "at most this many")
	ls.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var bulk deadBulk
	retry := &cobra.Command{
		Use:   "retry DELIVERY_ID... | retry --all [--source S] [--destination D] [--since T] [--until T]",
		Short: "Make dead deliveries due again now, each with a fresh budget (their attempts are kept)",
		Args:  bulk.args,
		RunE: func(cmd *cobra.Command, ids []string) error {
			if bulk.all {
				return bulk.retry(cmd.Context(), e, path)
			}
			return withStore(cmd.Context(), e, path, func(st store.Store) error {
				var errs []error
				for _, id := range ids {
					if err := st.Retry(cmd.Context(), id, time.Now()); err != nil {
						if errors.Is(err, store.ErrNotFound) {
							err = errors.New("no dead delivery with this id")
						}
						errs = append(errs, fmt.Errorf("retry %s: %w", id, err))
						continue
					}
					fmt.Fprintf(e.stdout, "retried %s\n", id)
				}
				return errors.Join(errs...)
			})
		},
	}
	bulk.flags(retry)
	cmd.AddCommand(ls, retry, newDiscardCmd(e, &path))
	return cmd
}

func withStore(ctx context.Context, e *env, path string, f func(store.Store) error) error {
	cfg, err := loadConfig(e, path)
	if err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, cfg.Storage)
	if err != nil {
		return err
	}
	return errors.Join(f(st), st.Close())
}

func writeDeliveries(e *env, ds []event.Delivery) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DELIVERY\tEVENT\tDESTINATION\tATTEMPTS\tUPDATED\tLAST ERROR")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.EventID, d.Destination, d.Attempts,
			d.UpdatedAt.Format(time.RFC3339), oneLine(d.LastError, 60))
	}
	if len(ds) == 0 {
		fmt.Fprintln(tw, "(no dead deliveries)")
	}
	return tw.Flush()
}

// oneLine shortens s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
