package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/hookgate/hookgate/internal/reply"
	"github.com/hookgate/hookgate/internal/store"
)

// Error is an answer with a status, a stable code and a message safe to
// show the caller.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// badParam is a 400 naming the parameter (or body field) at fault.
func badParam(name, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: name + ": " + fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: "conflict", Message: fmt.Sprintf(format, args...)}
}

// fail answers err: an *Error as it says, a context error as 503 (the
// caller gave up or the gateway is stopping), anything else as 500 with
// the detail in the log only.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	switch {
	case errors.As(err, &e):
		reply.Error(w, e.Status, e.Code, e.Message)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		reply.Error(w, http.StatusServiceUnavailable, "unavailable", "the request was cancelled")
	case errors.Is(err, store.ErrUnavailable):
		a.log.Error("api: store unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		reply.Error(w, http.StatusServiceUnavailable, "unavailable", "the store is unavailable")
	default:
		a.log.Error("api: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		reply.Error(w, http.StatusInternalServerError, "internal", "internal error; see the gateway's log")
	}
}
