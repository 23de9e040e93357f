package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one step of the schema: it moves the database from version
// Version-1 to Version.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// migrateLock is the pg_advisory_xact_lock key taken around migrations, so
// that nodes starting at once migrate one after the other: the first applies
// what is missing, the others find nothing left to do. ("hookgate" in ASCII.)
const migrateLock int64 = 0x686f6f6b67617465

// loadMigrations returns the embedded migrations in order. Files are named
// NNNN_name.sql, numbered from 1 without gaps. Append a file to change the
// schema; never edit one that has shipped.
func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", e.Name())
		}
		if v != len(ms)+1 {
			return nil, fmt.Errorf("migration file %s: want version %d", e.Name(), len(ms)+1)
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{Version: v, Name: name, SQL: string(b)})
	}
	return ms, nil
}

// Migration reports what Migrate did.
type Migration struct {
	// From is the schema version found, 0 for an empty database.
	From int
	// To is the schema version now, the newest this hookgate knows.
	To int
}

// Migrate brings the schema of the database at dsn up to date, as Open does,
// and returns the versions before and after. It is safe to run from several
// nodes at once.
func Migrate(ctx context.Context, dsn string) (Migration, error) {
	cfg, err := poolConfig(dsn, Options{}.withDefaults())
	if err != nil {
		return Migration{}, err
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return Migration{}, fmt.Errorf("postgres: connect: %w", unavailable(err))
	}
	defer pool.Close()
	m, err := migrate(ctx, pool)
	if err != nil {
		return Migration{}, fmt.Errorf("postgres: migrate: %w", err)
	}
	return m, nil
}

// migrate applies the missing migrations in one transaction, under the
// migration lock. It refuses a database made by a newer hookgate.
func migrate(ctx context.Context, pool *pgxpool.Pool) (Migration, error) {
	ms, err := loadMigrations()
	if err != nil {
		return Migration{}, err
	}
	var m Migration
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
			return fmt.Errorf("take the migration lock: %w", err)
		}
		// Created only when missing: CREATE ... IF NOT EXISTS would need the
		// CREATE privilege even then, and nodes may run as a role without it
		// once `hookgate migrate` has run as the owner.
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
			return fmt.Errorf("look for schema_migrations: %w", err)
		}
		if !exists {
			if _, err := tx.Exec(ctx, `CREATE TABLE schema_migrations (
				version    integer NOT NULL PRIMARY KEY,
				name       text    NOT NULL,
				applied_at bigint  NOT NULL
			)`); err != nil {
				return fmt.Errorf("create schema_migrations: %w", err)
			}
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&m.From); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if m.From > len(ms) {
			return fmt.Errorf("database schema version %d is newer than this hookgate supports (%d)", m.From, len(ms))
		}
		for _, mg := range ms[m.From:] {
			if _, err := tx.Exec(ctx, mg.SQL); err != nil {
				return fmt.Errorf("apply schema version %d (%s): %w", mg.Version, mg.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				mg.Version, mg.Name, time.Now().UnixNano()); err != nil {
				return fmt.Errorf("record schema version %d: %w", mg.Version, err)
			}
		}
		m.To = len(ms)
		return nil
	})
	if err != nil {
		return Migration{}, unavailable(err)
	}
	return m, nil
}
