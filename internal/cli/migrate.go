package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/store/postgres"
	"github.com/hookgate/hookgate/internal/store/sqlite"
)

func newMigrateCmd(e *env) *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the storage schema, then exit",
		Long: `migrate brings the configured store's schema up to the version this
hookgate needs, then exits. serve does the same at start, so migrate is
optional; with driver postgres, running it once before rolling a new version
out to every node keeps the schema change out of the nodes' start-up. It is
safe while nodes run and when several run it at once: migrations are applied
in one transaction under a PostgreSQL advisory lock.`,
		Example: `  hookgate migrate --config hookgate.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(e, path)
			if err != nil {
				return err
			}
			return migrateStore(cmd.Context(), e, cfg.Storage)
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", "hookgate.yaml", "config file")
	return cmd
}

func migrateStore(ctx context.Context, e *env, s config.Storage) error {
	switch s.Driver {
	case "postgres":
		m, err := postgres.Migrate(ctx, s.DSN)
		if err != nil {
			return err
		}
		if m.From == m.To {
			fmt.Fprintf(e.stdout, "postgres: schema up to date (version %d)\n", m.To)
		} else {
			fmt.Fprintf(e.stdout, "postgres: schema migrated from version %d to %d\n", m.From, m.To)
		}
	case "sqlite":
		// Open migrates; there is nothing else to do.
		st, err := sqlite.Open(ctx, s.Path, sqlite.Options{})
		if err != nil {
			return err
		}
		if err := st.Close(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "sqlite: schema up to date (%s)\n", s.Path)
	default:
		return fmt.Errorf("storage driver %q is not available in this build", s.Driver)
	}
	return nil
}
