// Package apitoken checks the bearer tokens of the management API: each
// token has a name (for logs; the token itself is never logged) and a
// scope, read or admin. Tokens are kept only as SHA-256 digests and
// compared in constant time, every configured digest every time, so
// neither the answer's timing nor an early exit tells which token nearly
// matched.
package apitoken

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hookgate/hookgate/internal/config"
)

// Scope is what a token may do.
type Scope int

const (
	// Read may call GET routes.
	Read Scope = iota + 1
	// Admin may call every route.
	Admin
)

// String returns "read" or "admin".
func (s Scope) String() string {
	switch s {
	case Read:
		return "read"
	case Admin:
		return "admin"
	}
	return fmt.Sprintf("Scope(%d)", int(s))
}

// ParseScope reads "read" or "admin".
func ParseScope(s string) (Scope, error) {
	switch s {
	case "read":
		return Read, nil
	case "admin":
		return Admin, nil
	}
	return 0, fmt.Errorf("unknown scope %q (want read or admin)", s)
}

// Allows reports whether a token of scope s may do what needs scope want.
func (s Scope) Allows(want Scope) bool { return s >= want }

// Token is one configured token, without the token itself.
type Token struct {
	// Name identifies the token in logs.
	Name string
	// Scope is what it may do.
	Scope Scope

	digest [sha256.Size]byte
}

// Set is the configured tokens. The zero Set (or nil) holds none. It is
// safe for concurrent use: it is never changed after New.
type Set struct {
	tokens []Token
}

// New builds a Set from the config's api.tokens (already validated).
func New(list []config.APIToken) (*Set, error) {
	s := &Set{}
	for i, c := range list {
		t := Token{Name: c.Name}
		var err error
		if t.Scope, err = ParseScope(c.Scope); err != nil {
			return nil, fmt.Errorf("api.tokens[%d]: %w", i, err)
		}
		switch {
		case c.Token != "":
			t.digest = sha256.Sum256([]byte(c.Token))
		default:
			b, err := hex.DecodeString(c.TokenSHA256)
			if err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("api.tokens[%d].token_sha256: want 64 hex digits", i)
			}
			copy(t.digest[:], b)
		}
		s.tokens = append(s.tokens, t)
	}
	return s, nil
}

// Len is how many tokens the set holds; 0 means the API is off.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.tokens)
}

// Lookup returns the token whose digest is presented's. It compares
// against every token, in constant time each, whether or not one matched
// already.
func (s *Set) Lookup(presented string) (Token, bool) {
	if s == nil || presented == "" {
		return Token{}, false
	}
	d := sha256.Sum256([]byte(presented))
	found := -1
	for i := range s.tokens {
		eq := subtle.ConstantTimeCompare(d[:], s.tokens[i].digest[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return Token{}, false
	}
	return s.tokens[found], true
}

// Authenticate is Lookup for callers that want plain values (the web UI's
// login): the token's name and scope ("read" or "admin").
func (s *Set) Authenticate(presented string) (name, scope string, ok bool) {
	t, ok := s.Lookup(presented)
	if !ok {
		return "", "", false
	}
	return t.Name, t.Scope.String(), true
}

// ErrNoToken is returned by Bearer for a request without credentials.
var ErrNoToken = errors.New("no bearer token")

// Bearer returns the token of an "Authorization: Bearer TOKEN" header
// (the scheme is case-insensitive, RFC 9110). It fails with ErrNoToken
// when there is no Authorization header, and with another error when the
// header is not a bearer token.
func Bearer(h http.Header) (string, error) {
	vs := h.Values("Authorization")
	switch len(vs) {
	case 0:
		return "", ErrNoToken
	case 1:
	default:
		return "", errors.New("more than one Authorization header")
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(vs[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", errors.New("authorization is not a bearer token")
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return "", errors.New("malformed bearer token")
	}
	return tok, nil
}
