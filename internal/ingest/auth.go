package ingest

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/internal/auth"
	"github.com/hookgate/hookgate/internal/reply"
	"github.com/hookgate/hookgate/internal/verify"
)

// Authenticator checks who sent a request, before its signature is
// verified. It must be safe for concurrent use. *auth.Policy is one.
type Authenticator interface {
	// Authenticate returns nil when r may pass, or why not: an
	// *auth.Failure carries the status (401, 403, 503) and a reason safe to
	// answer with and store; any other error is a 401.
	Authenticate(r *http.Request, body []byte) error
}

var _ Authenticator = (*auth.Policy)(nil)

// admit runs the source's Authenticator, then checks its required headers.
// When the request may not go on, it answers, records the refusal and
// returns false.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request, src *Source, body []byte, now time.Time) bool {
	if src.Auth != nil {
		if err := src.Auth.Authenticate(r, body); err != nil {
			h.refuseAuth(w, r, src, now, err)
			return false
		}
	}
	for _, name := range src.RequiredHeaders {
		if r.Header.Get(name) == "" {
			h.record(r, src, now, http.StatusBadRequest, "missing header "+name)
			reply.Error(w, http.StatusBadRequest, "missing_header", fmt.Sprintf("the request lacks the %s header", name))
			return false
		}
	}
	return true
}

// refuseAuth answers an authentication failure with its status, a stable
// code (auth_failed 401, forbidden 403, auth_unavailable 503), and the
// WWW-Authenticate challenge of a 401.
func (h *Handler) refuseAuth(w http.ResponseWriter, r *http.Request, src *Source, now time.Time, err error) {
	f := &auth.Failure{Status: http.StatusUnauthorized, Reason: "authentication failed"}
	errors.As(err, &f)
	code := "auth_failed"
	switch f.Status {
	case http.StatusUnauthorized:
		if f.Challenge != "" {
			w.Header().Set("WWW-Authenticate", f.Challenge)
		}
	case http.StatusForbidden:
		code = "forbidden"
	case http.StatusServiceUnavailable:
		code = "auth_unavailable"
		w.Header().Set("Retry-After", "30")
	}
	h.record(r, src, now, f.Status, f.Reason)
	reply.Error(w, f.Status, code, f.Reason)
}

// unsigned is the Provider of a source with no signature scheme: no
// handshake, every request verifies, and no event type or delivery id.
type unsigned struct{}

func (unsigned) Challenge(*verify.Request) (*verify.Response, bool) { return nil, false }
func (unsigned) Verify(*verify.Request) error                       { return nil }
func (unsigned) Identify(*verify.Request) verify.Identity           { return verify.Identity{} }
