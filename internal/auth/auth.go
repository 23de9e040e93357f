// Package auth authenticates a source's senders by who they are, for
// senders without a provider signature scheme (an API gateway in front of a
// queue, an internal service): HTTP Basic, bearer tokens, API keys, JWTs,
// client IP allow-lists and TLS client certificates, one file per method. A
// source's Policy runs every configured method; all must pass.
//
// Secrets (passwords, tokens, keys) are never compared as strings: the
// presented value is hashed with SHA-256 and its digest compared, with
// crypto/subtle, against the digest of every accepted value, with no early
// exit, so neither which value matched nor how long it is shows in the
// timing.
//
// Failures are *Failure values whose Reason is safe to answer with and to
// store: it never holds a credential.
package auth

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/internal/config"
)

// Failure is the error a Policy returns for a request it refuses.
type Failure struct {
	// Status is the HTTP status to answer with: 401 when credentials are
	// missing or wrong, 403 when the client is refused whatever it sends
	// (ip_allow, mtls), 503 when the keys to check a JWT could not be had.
	Status int
	// Reason says why, safely: it never holds a credential.
	Reason string
	// Challenge is the WWW-Authenticate value to send with a 401, or "".
	Challenge string
}

func (f *Failure) Error() string { return "auth: " + f.Reason }

func unauthorized(challenge, reason string) *Failure {
	return &Failure{Status: http.StatusUnauthorized, Reason: reason, Challenge: challenge}
}

func forbidden(reason string) *Failure {
	return &Failure{Status: http.StatusForbidden, Reason: reason}
}

// Options are New's dependencies.
type Options struct {
	// Now is the clock for JWT "exp" and "nbf" and the JWKS cache.
	// Default time.Now.
	Now func() time.Time
	// Client fetches jwks_url. Default: a client with a 10s timeout.
	Client *http.Client
	// Logger receives JWKS fetch failures. Default slog.Default().
	Logger *slog.Logger
}

// method is one authentication method. It returns nil when r passes.
type method interface {
	authenticate(r *http.Request) *Failure
}

// Policy is one source's authentication: its configured methods, run in a
// fixed order (the network checks ip_allow and mtls first, then basic,
// bearer, api_key, jwt), all of which must pass. It is safe for concurrent
// use.
type Policy struct {
	methods []method
}

// New builds the Policy that c describes; c should have been validated by
// config. It reads jwks_file, but fetches nothing: a jwks_url is fetched on
// the first token. Its errors are *config.FieldError values, joined, whose
// Field is relative to the source (such as "auth.jwt.jwks_file"), as
// config.Options.CheckSource reports them.
func New(c *config.Auth, o Options) (*Policy, error) {
	if c == nil {
		return nil, &config.FieldError{Field: "auth", Err: errors.New("no method configured")}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	p := &Policy{}
	var errs []error
	add := func(m method, field string, err error) {
		if err != nil {
			errs = append(errs, &config.FieldError{Field: "auth." + field, Err: err})
			return
		}
		p.methods = append(p.methods, m)
	}
	if c.IPAllow != nil {
		m, err := newIPAllow(c.IPAllow)
		add(m, "ip_allow", err)
	}
	if c.MTLS != nil {
		add(newMTLS(c.MTLS), "mtls", nil)
	}
	if c.Basic != nil {
		add(newBasic(c.Basic), "basic", nil)
	}
	if c.Bearer != nil {
		add(newBearer(c.Bearer), "bearer", nil)
	}
	if c.APIKey != nil {
		add(newAPIKey(c.APIKey), "api_key", nil)
	}
	if c.JWT != nil {
		m, field, err := newJWT(c.JWT, o)
		add(m, "jwt"+field, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(p.methods) == 0 {
		return nil, &config.FieldError{Field: "auth", Err: errors.New("no method configured")}
	}
	return p, nil
}

// Authenticate returns nil when r passes every method, or the first
// method's *Failure. body is the request body, already read; no method
// reads r.Body.
func (p *Policy) Authenticate(r *http.Request, body []byte) error {
	for _, m := range p.methods {
		if f := m.authenticate(r); f != nil {
			return f
		}
	}
	return nil
}
