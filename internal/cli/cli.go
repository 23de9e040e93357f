// Package cli holds hookgate's subcommands. It uses github.com/spf13/cobra,
// the de-facto standard for Go command-line tools (flags, help, completion),
// rather than hand-rolled flag parsing over many subcommands.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// env is what every subcommand may touch of the outside world; tests pass
// their own.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Run runs hookgate with args (without the program name) and returns the
// process exit code.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "hookgate",
		Short:         "A self-hosted webhook gateway: receive, verify, store durably, acknowledge, deliver.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	for _, c := range commands(e) {
		root.AddCommand(c)
	}
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(stderr, "hookgate: %v\n", err)
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return 1
	}
	return 0
}
