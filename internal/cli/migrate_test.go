package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/internal/store/postgres/pgtest"
)

// runMigrateCmd runs `hookgate migrate --config cfg` and returns its stdout.
func runMigrateCmd(t *testing.T, cfg string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}
	cmd := newMigrateCmd(e)
	cmd.SetArgs([]string{"--config", cfg})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.ExecuteContext(t.Context()); err != nil {
		t.Fatalf("migrate: %v\nstderr: %s", err, stderr.String())
	}
	return stdout.String()
}

func writeMigrateConfig(t *testing.T, storage string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hookgate.yaml")
	yml := fmt.Sprintf("storage: %s\nsources:\n  - { name: gh, provider: github, secret: s }\n", storage)
	if err := os.WriteFile(p, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMigratePostgres(t *testing.T) {
	t.Parallel()
	cfg := writeMigrateConfig(t, fmt.Sprintf("{ driver: postgres, dsn: %q }", pgtest.Schema(t)))
	// The newest version is the number of migrations, whatever it is now.
	first := runMigrateCmd(t, cfg)
	var version int
	if _, err := fmt.Sscanf(first, "postgres: schema migrated from version 0 to %d\n", &version); err != nil || version < 1 {
		t.Fatalf("first migrate printed %q, want \"postgres: schema migrated from version 0 to N\"", first)
	}
	if got, want := runMigrateCmd(t, cfg), fmt.Sprintf("postgres: schema up to date (version %d)\n", version); got != want {
		t.Errorf("second migrate printed %q, want %q", got, want)
	}
}

func TestMigrateSQLite(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "data", "hookgate.db")
	cfg := writeMigrateConfig(t, fmt.Sprintf("{ driver: sqlite, path: %q }", db))
	if got, want := runMigrateCmd(t, cfg), "sqlite: schema up to date ("+db+")\n"; got != want {
		t.Errorf("migrate printed %q, want %q", got, want)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("database not created: %v", err)
	}
}
