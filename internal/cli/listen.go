package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/relay"
)

type listenFlags struct {
	gateway, token, destination string
	to                          string
	source, typ, filter         string
	json                        bool
	state                       string
	timeout                     time.Duration
	name                        string
}

func newListenCmd(e *env) *cobra.Command {
	var f listenFlags
	cmd := &cobra.Command{
		Use:   "listen",
		Short: "Forward a gateway's live webhooks to an app on localhost",
		Long: `listen connects to a listen destination of a running gateway and forwards each
event routed to it to --to, with the original method, headers and body; the
local answer is recorded at the gateway as the delivery attempt. It reconnects
by itself: the gateway keeps every event not yet answered, so nothing is missed
while the laptop sleeps or the network is gone, and an event already forwarded
is not forwarded twice (a state file remembers the last 10,000).

Each event prints one line: time, number, source, type, local status, latency
(or why the forward failed). On a terminal, type a command and Enter:
  r N   replay event N to the local app again     s N   show its request and response
  q     quit                                        h     help
Events the filters (--source, --type, --filter) leave out are acknowledged as
skipped: the gateway records them as delivered, with the reason.`,
		Example: `  hookgate listen --gateway https://hooks.example.com --token $LISTEN_TOKEN --to http://localhost:3000/webhooks
  hookgate listen --gateway https://hooks.example.com --destination dev-ana --to http://localhost:3000/hooks --type push --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runListen(cmd.Context(), e, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.gateway, "gateway", "", "the gateway's URL, such as https://hooks.example.com (required)")
	fl.StringVar(&f.token, "token", "", "the listen destination's token (default $HOOKGATE_LISTEN_TOKEN)")
	fl.StringVar(&f.destination, "destination", "", "the listen destination's name (default: the one the token belongs to)")
	fl.StringVar(&f.to, "to", "", "the local URL to forward to, such as http://localhost:3000/webhooks (required)")
	fl.StringVar(&f.source, "source", "", "forward only events of this source")
	fl.StringVar(&f.typ, "type", "", "forward only events of this type (such as push)")
	fl.StringVar(&f.filter, "filter", "", "forward only events for which this CEL expression is true (see docs/routing.md)")
	fl.BoolVar(&f.json, "json", false, "print one JSON object per line instead of text")
	fl.StringVar(&f.state, "state", "", "the state file (default: in the user's cache folder, one per gateway and destination)")
	fl.DurationVar(&f.timeout, "timeout", relay.DefaultTimeout, "how long the local app may take to answer")
	fl.StringVar(&f.name, "name", "", "this listener's name in the gateway's logs (default: the host name)")
	return cmd
}

func runListen(ctx context.Context, e *env, f listenFlags) error {
	if f.token == "" {
		f.token = e.getenv("HOOKGATE_LISTEN_TOKEN")
	}
	switch {
	case f.gateway == "":
		return errors.New("listen: --gateway is required")
	case f.to == "":
		return errors.New("listen: --to is required")
	case f.token == "":
		return errors.New("listen: --token (or $HOOKGATE_LISTEN_TOKEN) is required")
	}
	filter, err := relay.NewFilter(f.source, f.typ, f.filter)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if f.state == "" {
		if f.state, err = defaultState(f.gateway, f.destination); err != nil {
			return err
		}
	}
	st, err := relay.OpenState(f.state, relay.DefaultRemember)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer st.Close()
	if f.name == "" {
		f.name, _ = os.Hostname()
	}
	ctx, quit := context.WithCancel(ctx)
	defer quit()
	v := newView(e.stdout, f.json)
	r, err := relay.New(relay.Config{
		Gateway: f.gateway, Token: f.token, Destination: f.destination, To: f.to, Name: f.name,
		Filter: filter, State: st, Observer: v, Timeout: f.timeout,
	})
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if in, ok := e.stdin.(*os.File); ok && !f.json && isTerminal(in) {
		go v.commands(ctx, in, r, quit)
	}
	if err := r.Run(ctx); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return nil
}

// defaultState is the state file for a gateway and destination, in the
// user's cache folder.
func defaultState(gateway, dest string) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("listen: no cache folder for the state file (%v); pass --state", err)
	}
	sum := sha256.Sum256([]byte(gateway + "\x00" + dest))
	return filepath.Join(dir, "hookgate", "listen-"+hex.EncodeToString(sum[:6])+".jsonl"), nil
}

// isTerminal reports whether f looks like a terminal (a character device
// such as a tty; /dev/null is one too, and simply ends at once).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
