package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/verify"
)

// newProvidersCmd lists the provider presets, or describes one.
func newProvidersCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "providers [name]",
		Short: "List the provider presets a source can name, or describe one",
		Long: `providers lists every provider preset, one line each with its scheme. With a
name, it describes that preset: scheme, handshake, dedup key, event type, the
source fields it takes, and the provider's documentation. docs/providers.md
is rendered from the same registry.`,
		Example: "  hookgate providers\n  hookgate providers stripe",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				return describeProvider(e, args[0])
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			for _, p := range verify.Presets() {
				fmt.Fprintf(w, "%s\t%s\n", p.Name, plain(p.Scheme))
			}
			return w.Flush()
		},
	}
}

func describeProvider(e *env, name string) error {
	for _, p := range verify.Presets() {
		if p.Name != name {
			continue
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		for _, row := range [][2]string{
			{"provider", p.Name},
			{"scheme", plain(p.Scheme)},
			{"handshake", cmpOr(plain(p.Handshake), "none")},
			{"dedup key", plain(p.DeliveryID)},
			{"event type", plain(p.EventType)},
			{"config", cmpOr(plain(strings.Join(p.Config, ", ")), "none")},
			{"docs", cmpOr(p.Doc, "-")},
		} {
			fmt.Fprintf(w, "%s:\t%s\n", row[0], row[1])
		}
		return w.Flush()
	}
	return fmt.Errorf("unknown provider %q (hookgate providers lists them)", name)
}

// plain drops Markdown's code marks.
func plain(s string) string { return strings.ReplaceAll(s, "`", "") }

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
