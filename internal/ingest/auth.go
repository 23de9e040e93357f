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
// returns the verdict and false.
func (c *call) admit(src *Source, body []byte, now time.Time) (Verdict, bool) {
	if src.Auth != nil {
		if err := src.Auth.Authenticate(c.r, body); err != nil {
			return c.refuseAuth(src, now, err), false
		}
	}
	for _, name := range src.RequiredHeaders {
		if c.r.Header.Get(name) == "" {
			c.record(src, now, http.StatusBadRequest, "missing header "+name)
			reply.Error(c.w, http.StatusBadRequest, "missing_header", fmt.Sprintf("the request lacks the %s header", name))
			return VerdictMissingHeader, false
		}
	}
	return VerdictAccepted, true
}

// refuseAuth answers an authentication failure with its status, a stable
// code (auth_failed 401, forbidden 403, auth_unavailable 503), and the
// WWW-Authenticate challenge of a 401, and returns the verdict.
func (c *call) refuseAuth(src *Source, now time.Time, err error) Verdict {
	w := c.w
	f := &auth.Failure{Status: http.StatusUnauthorized, Reason: "authentication failed"}
	errors.As(err, &f)
	code, v := "auth_failed", VerdictUnauthorized
	switch f.Status {
	case http.StatusUnauthorized:
		if f.Challenge != "" {
			w.Header().Set("WWW-Authenticate", f.Challenge)
		}
	case http.StatusForbidden:
		code, v = "forbidden", VerdictForbidden
	case http.StatusServiceUnavailable:
		code, v = "auth_unavailable", VerdictAuthUnavailable
		w.Header().Set("Retry-After", "30")
	}
	c.record(src, now, f.Status, f.Reason)
	reply.Error(w, f.Status, code, f.Reason)
	return v
}

// unsigned is the Provider of a source with no signature scheme: no
// handshake, every request verifies, and no event type or delivery id.
type unsigned struct{}

func (unsigned) Challenge(*verify.Request) (*verify.Response, bool) { return nil, false }
func (unsigned) Verify(*verify.Request) error                       { return nil }
func (unsigned) Identify(*verify.Request) verify.Identity           { return verify.Identity{} }
