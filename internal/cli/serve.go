package cli

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/app"
	"github.com/hookgate/hookgate/internal/config"
)

func newServeCmd(e *env) *cobra.Command {
	var path, cpuProfile string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway: ingest at /in/{source}, store durably, deliver",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(e, path)
			if err != nil {
				return err
			}
			log, err := newLogger(e.stderr, cfg.Log)
			if err != nil {
				return err
			}
			if cpuProfile != "" {
				stop, err := startCPUProfile(cpuProfile)
				if err != nil {
					return err
				}
				defer stop()
			}
			hup, stopHUP, err := reloadSignals(cfg)
			if err != nil {
				return err
			}
			defer stopHUP()
			reload := func() (*config.Config, error) { return loadConfig(e, path) }
			return app.Run(cmd.Context(), cfg, app.Options{Logger: log, Stdout: e.stdout, LoadConfig: reload, Reload: hup})
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", "hookgate.yaml", "config file")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of the whole run to this file, for benchmarks")
	return cmd
}

func newCheckCmd(e *env) *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate a config file without serving",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(e, path)
			if err != nil {
				return err
			}
			if _, err := app.NewPlan(cfg, io.Discard); err != nil {
				return &exitError{code: 2, err: err}
			}
			fmt.Fprintf(e.stdout, "%s: ok (%d sources, %d destinations, %d routes)\n",
				cfg.File, len(cfg.Sources), len(cfg.Destinations), len(cfg.Routes))
			return nil
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", "hookgate.yaml", "config file")
	return cmd
}

// loadConfig loads and validates a config; every problem is in the error,
// each naming its file:line and field.
func loadConfig(e *env, path string) (*config.Config, error) {
	cfg, err := config.Load(path, config.Options{Getenv: e.getenv, CheckSource: app.CheckSource, CheckRoute: app.CheckRoute})
	if err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("invalid config:\n%w", err)}
	}
	return cfg, nil
}

func newLogger(w io.Writer, c config.Log) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}
