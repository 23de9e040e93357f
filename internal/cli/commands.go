package cli

import "github.com/spf13/cobra"

// commands lists every subcommand.
func commands(e *env) []*cobra.Command {
	return []*cobra.Command{
		newServeCmd(e),
		newCheckCmd(e),
		newSendCmd(e),
		newBenchCmd(e),
		newDeadCmd(e),
		newProvidersCmd(e),
		newMigrateCmd(e),
		newReplayCmd(e),
		newEventsCmd(e),
		newDeliveriesCmd(e),
		newStatsCmd(e),
		newListenCmd(e),
		newReloadCmd(e),
	}
}
