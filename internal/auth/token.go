package auth

import (
	"net/http"
	"strings"

	"github.com/hookgate/hookgate/internal/config"
)

// token accepts one of a set of static tokens: "Authorization: Bearer
// <token>" (bearer, RFC 6750), or the whole value of a named header after
// an optional prefix (api_key).
type token struct {
	header string
	// scheme is the Authorization scheme ("Bearer"), or "" for a header
	// whose value is prefix followed by the token.
	scheme    string
	prefix    string
	accepted  *secrets
	what      string // "bearer token" or "API key", for reasons
	challenge string
}

func newBearer(c *config.BearerAuth) *token {
	return &token{
		header:    "Authorization",
		scheme:    "Bearer",
		accepted:  newSecrets(c.Tokens...),
		what:      "bearer token",
		challenge: `Bearer realm="hookgate"`,
	}
}

func newAPIKey(c *config.APIKeyAuth) *token {
	return &token{
		header:   c.Header,
		prefix:   c.Prefix,
		accepted: newSecrets(c.Keys...),
		what:     "API key",
	}
}

func (t *token) authenticate(r *http.Request) *Failure {
	v, ok := single(r.Header, t.header)
	if !ok {
		return unauthorized(t.challenge, "missing "+t.what)
	}
	var presented string
	if t.scheme != "" {
		presented, ok = credentials(v, t.scheme)
	} else {
		presented, ok = strings.CutPrefix(v, t.prefix)
		ok = ok && presented != ""
	}
	if !ok {
		return unauthorized(t.challenge, "malformed "+t.what)
	}
	if !t.accepted.match(presented) {
		return unauthorized(t.challenge, "wrong "+t.what)
	}
	return nil
}
