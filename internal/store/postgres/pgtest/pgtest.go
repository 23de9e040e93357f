// Package pgtest gives tests a PostgreSQL to run against: the cluster named
// by HOOKGATE_TEST_POSTGRES_DSN (test.sh starts one with
// scripts/pg-test-cluster.sh), with a fresh schema or database per test.
//
// Without the variable, tests that need PostgreSQL skip, except under
// CI=true, where they fail: CI must not pass by skipping them.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the variable that holds the test cluster's DSN. Its role must
// be allowed to create schemas and databases.
const EnvDSN = "HOOKGATE_TEST_POSTGRES_DSN"

// DSN returns the test cluster's DSN, or skips t (fails it under CI=true)
// when there is none.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		msg := EnvDSN + " is not set: no PostgreSQL to test against (run ./test.sh, or eval \"$(scripts/pg-test-cluster.sh start)\")"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dsn
}

// Schema creates an empty schema and returns a DSN whose search_path is that
// schema, so the tables a store creates land there. It is dropped when t
// ends.
func Schema(t testing.TB) string {
	t.Helper()
	dsn := DSN(t)
	name := newName()
	admin(t, dsn, `CREATE SCHEMA `+name)
	t.Cleanup(func() { admin(t, dsn, `DROP SCHEMA `+name+` CASCADE`) })
	return WithParam(dsn, "search_path", name)
}

// Database creates an empty database and returns its DSN. It is dropped when
// t ends, with any connection still open to it.
func Database(t testing.TB) string {
	t.Helper()
	dsn := DSN(t)
	name := newName()
	admin(t, dsn, `CREATE DATABASE `+name)
	t.Cleanup(func() { admin(t, dsn, `DROP DATABASE `+name+` WITH (FORCE)`) })
	return WithParam(dsn, "dbname", name)
}

// WithParam returns dsn with one connection parameter set, for URL and
// keyword/value DSNs alike; "dbname" replaces a URL's path.
func WithParam(dsn, key, value string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		if key == "dbname" {
			u.Path = "/" + value
			return u.String()
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(dsn) + " " + key + "='" + strings.ReplaceAll(value, "'", `\'`) + "'"
}

func newName() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "hg_" + hex.EncodeToString(b)
}

func admin(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", EnvDSN, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}
