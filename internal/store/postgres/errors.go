package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookgate/hookgate/internal/store"
)

// unavailable wraps err in store.ErrUnavailable when it means the database
// cannot take writes right now: unreachable, connection lost, shutting down,
// out of disk or memory, read-only, or too slow to answer within
// Options.Timeout. Other errors, and a caller's cancellation, are returned as
// is.
func unavailable(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	if isUnavailable(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

func isUnavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return unavailableCode(pgErr.Code)
	}
	if errors.Is(err, context.Canceled) {
		return false // the caller gave up; nothing is wrong with the database
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return true
	}
	// pgx's own words for a connection or pool that is gone.
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "closed pool") ||
		strings.Contains(msg, "failed to connect")
}

// unavailableCode tells whether an SQLSTATE means the server cannot take
// writes now, rather than that the statement was wrong.
func unavailableCode(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"), // connection exception
		strings.HasPrefix(code, "53"),  // insufficient resources: disk full, out of memory, too many connections
		strings.HasPrefix(code, "57P"), // admin or crash shutdown, cannot connect now
		strings.HasPrefix(code, "58"),  // system error: I/O
		code == "25006":                // read-only transaction: a standby, or default_transaction_read_only
		return true
	}
	return false
}
