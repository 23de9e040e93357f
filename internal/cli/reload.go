package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/config"
)

// newReloadCmd is `hookgate reload`: it asks a running gateway to read its
// config file again, through the management API (the answer says whether
// the new config was applied or refused, and why), or by sending SIGHUP to
// a process id (systemd's ExecReload; the outcome is then only in the
// gateway's log).
func newReloadCmd(e *env) *cobra.Command {
	var (
		af      apiFlags
		pidFile string
		pid     int
	)
	cmd := &cobra.Command{
		Use:   "reload [--gateway URL --token T] | reload --pid PID | reload --pid-file PATH",
		Short: "Make a running gateway read its config file again (sources, destinations and routes change live)",
		Long: `Make a running gateway read its config file again. Sources, destinations and
routes change without dropping a request; a config that does not load, or that
changes a field which takes a restart (listen, storage, server, delivery, log,
api, ...), is refused, and the gateway goes on with the config it had.

Through the management API (POST /api/v1/reload, an admin token), the command
prints the reason of a refusal, with file:line, and exits 1.

With --pid or --pid-file it only sends SIGHUP (for systemd's ExecReload): it
cannot tell whether the reload was applied; the gateway logs "config reloaded"
or "config reload refused".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case pid != 0 && pidFile != "":
				return errors.New("give --pid or --pid-file, not both")
			case pidFile != "":
				n, err := readPIDFile(pidFile)
				if err != nil {
					return err
				}
				pid = n
				fallthrough
			case pid != 0:
				if err := hangUp(pid); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "sent SIGHUP to process %d; its log says whether the config was reloaded\n", pid)
				return nil
			}
			c, err := af.client()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), apiTimeout)
			defer cancel()
			if err := c.do(ctx, http.MethodPost, "/reload", nil, nil, nil); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, "config reloaded")
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&pid, "pid", 0, "send SIGHUP to this process id instead of calling the API")
	f.StringVar(&pidFile, "pid-file", "", "send SIGHUP to the process id in this file (server.pid_file)")
	af.register(cmd, e)
	return cmd
}

// readPIDFile reads the process id `hookgate serve` wrote.
func readPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read pid file: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("pid file %s holds %q, not a process id", path, bytes.TrimSpace(b))
	}
	return n, nil
}

// hangUp sends SIGHUP to pid.
func hangUp(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("invalid process id %d", pid)
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return fmt.Errorf("find process %d: %w", pid, err)
	}
	if err := p.Signal(syscall.SIGHUP); err != nil {
		return fmt.Errorf("send SIGHUP to process %d: %w", pid, err)
	}
	return nil
}

// reloadSignals is serve's side of reloading: it writes server.pid_file
// if set, and returns the channel that gets SIGHUP, for app.Options.Reload,
// and a function that undoes both.
func reloadSignals(cfg *config.Config) (<-chan os.Signal, func(), error) {
	if err := writePIDFile(cfg.Server.PIDFile); err != nil {
		return nil, nil, err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	return hup, func() {
		signal.Stop(hup)
		removePIDFile(cfg.Server.PIDFile)
	}, nil
}

// writePIDFile writes this process's id to path, if set.
func writePIDFile(path string) error {
	if path == "" {
		return nil
	}
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("server.pid_file: %w", err)
	}
	return nil
}

// removePIDFile removes the pid file at path if it still holds this
// process's id (another gateway may have taken it over).
func removePIDFile(path string) {
	if path == "" {
		return
	}
	if n, err := readPIDFile(path); err == nil && n == os.Getpid() {
		_ = os.Remove(path)
	}
}
