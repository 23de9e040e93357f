package sqlite

import (
	_ "embed"
	"fmt"

	"github.com/ncruces/go-sqlite3"
)

//go:embed schema.sql
var schemaV1 string

//go:embed schema_routes.sql
var schemaRoutes string

//go:embed schema_dedup.sql
var schemaDedup string

//go:embed schema_due.sql
var schemaDue string

//go:embed schema_success.sql
var schemaSuccess string

// migrations[i] moves a database from schema version i to i+1; the version is
// kept in PRAGMA user_version. Append to change the schema; never edit an
// entry that has shipped.
var migrations = [...]string{schemaV1, schemaRoutes, schemaAdmin, schemaQuery, schemaTrace, schemaDedup, schemaSuccess, schemaDue}

// migrate brings the database on c up to the newest schema version in one
// transaction. It refuses a database made by a newer hookgate, and one it
// cannot write to.
func migrate(c *sqlite3.Conn) (err error) {
	if err := c.Exec(`BEGIN IMMEDIATE`); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = c.Exec(`ROLLBACK`)
		}
	}()
	v, err := userVersion(c)
	if err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this hookgate supports (%d)", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		if err := c.Exec(migrations[i]); err != nil {
			return fmt.Errorf("apply schema version %d: %w", i+1, err)
		}
	}
	if v < len(migrations) {
		if err := c.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations))); err != nil {
			return fmt.Errorf("set schema version: %w", err)
		}
	}
	// Write something, so that a database that cannot take writes
	// (read-only, disk full) fails Open rather than the first ingest.
	if err := c.Exec(`UPDATE meta SET value = value + 1 WHERE key = 'ping'`); err != nil {
		return fmt.Errorf("test write: %w", err)
	}
	if err := c.Exec(`COMMIT`); err != nil {
		return fmt.Errorf("commit schema: %w", err)
	}
	return nil
}

func userVersion(c *sqlite3.Conn) (int, error) {
	st, _, err := c.Prepare(`PRAGMA user_version`)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	defer st.Close()
	if !st.Step() {
		return 0, fmt.Errorf("read schema version: %w", st.Err())
	}
	return st.ColumnInt(0), nil
}
