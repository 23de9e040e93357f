package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookgate/hookgate/internal/config"
)

// jwtAuth accepts a JSON Web Token (RFC 7519) signed with an allowed
// algorithm. Tokens must carry "exp"; "exp" and "nbf" are checked with a
// leeway; "iss" and "aud" when configured. Config allows either HS*
// algorithms with secrets or public-key algorithms with a JWKS, never
// both, so a token's "alg" cannot make a public key serve as an HMAC
// secret; the parser refuses any "alg" outside the list before it asks for
// a key, so "none" never gets through.
type jwtAuth struct {
	header     string // "" means Authorization: Bearer
	algorithms []string
	parser     *jwt.Parser
	keys       keySource
}

// keySource finds the key that should have signed t.
type keySource interface {
	key(ctx context.Context, t *jwt.Token) (any, error)
}

// errKeysUnavailable means the JWKS could not be fetched: the token was not
// judged, so the answer is 503, not 401.
var errKeysUnavailable = errors.New("signing keys unavailable")

// newJWT builds the method; on error, field names the field at fault
// (".jwks_file") relative to "jwt".
func newJWT(c *config.JWTAuth, o Options) (*jwtAuth, string, error) {
	if err := checkAlgorithms(c.Algorithms, len(c.AllSecrets()) > 0); err != nil {
		return nil, ".algorithms", err
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(c.Algorithms),
		jwt.WithLeeway(c.Leeway.D()),
		jwt.WithTimeFunc(o.Now),
		jwt.WithExpirationRequired(),
	}
	if c.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(c.Issuer))
	}
	if c.Audience != "" {
		opts = append(opts, jwt.WithAudience(c.Audience))
	}
	j := &jwtAuth{header: c.Header, algorithms: c.Algorithms, parser: jwt.NewParser(opts...)}
	switch {
	case len(c.AllSecrets()) > 0:
		j.keys = newSecretKeys(c.AllSecrets())
	case c.JWKSFile != "":
		data, err := os.ReadFile(c.JWKSFile)
		if err != nil {
			return nil, ".jwks_file", fmt.Errorf("cannot read the JWKS file: %w", err)
		}
		kf, err := parseJWKS(data)
		if err != nil {
			return nil, ".jwks_file", fmt.Errorf("%s: %w", c.JWKSFile, err)
		}
		j.keys = staticKeys{kf}
	case c.JWKSURL != "":
		j.keys = newRemoteKeys(c.JWKSURL, c.JWKSRefresh.D(), o)
	default:
		return nil, "", errors.New("no secret, jwks_file or jwks_url")
	}
	return j, "", nil
}

// checkAlgorithms repeats config's rules, so that a Policy built from an
// unchecked config is safe too: a non-empty list, no "none", and HS*
// exactly when the keys are shared secrets.
func checkAlgorithms(algs []string, secret bool) error {
	if len(algs) == 0 {
		return errors.New("no algorithm allowed")
	}
	for _, a := range algs {
		m := jwt.GetSigningMethod(a)
		if m == nil || m == jwt.SigningMethodNone {
			return fmt.Errorf("algorithm %q not allowed", a)
		}
		if _, hs := m.(*jwt.SigningMethodHMAC); hs != secret {
			return fmt.Errorf("algorithm %q does not fit the configured keys", a)
		}
	}
	return nil
}

func (j *jwtAuth) authenticate(r *http.Request) *Failure {
	raw, ok := j.token(r)
	if !ok {
		return unauthorized(`Bearer realm="hookgate"`, "missing token")
	}
	ctx := r.Context()
	tok, err := j.parser.Parse(raw, func(t *jwt.Token) (any, error) { return j.keys.key(ctx, t) })
	if err == nil && tok.Valid {
		return nil
	}
	if errors.Is(err, errKeysUnavailable) {
		return &Failure{Status: http.StatusServiceUnavailable, Reason: "token signing keys unavailable; retry later"}
	}
	return unauthorized(`Bearer realm="hookgate", error="invalid_token"`, j.reason(tok, err))
}

// token finds the raw token: the whole value of the configured header, or
// the credentials of "Authorization: Bearer".
func (j *jwtAuth) token(r *http.Request) (string, bool) {
	if j.header == "" {
		v, ok := single(r.Header, "Authorization")
		if !ok {
			return "", false
		}
		return credentials(v, "Bearer")
	}
	return single(r.Header, j.header)
}

// reason says, safely, why a token was refused.
func (j *jwtAuth) reason(tok *jwt.Token, err error) string {
	if errors.Is(err, jwt.ErrTokenMalformed) {
		return "malformed token"
	}
	if tok != nil {
		if alg, _ := tok.Header["alg"].(string); !slices.Contains(j.algorithms, alg) {
			return "token algorithm not allowed"
		}
	}
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "token not valid yet"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "token lacks a required claim"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong token issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong token audience"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "no key for the token"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad token signature"
	}
	return "invalid token"
}

// secretKeys are the shared secrets of the HS* algorithms; any one verifies.
type secretKeys struct {
	set jwt.VerificationKeySet
}

func newSecretKeys(list []string) secretKeys {
	var s secretKeys
	for _, v := range list {
		s.set.Keys = append(s.set.Keys, []byte(v))
	}
	return s
}

func (s secretKeys) key(_ context.Context, t *jwt.Token) (any, error) {
	if _, ok := t.Method.(*jwt.SigningMethodHMAC); !ok {
		return nil, errors.New("not an HMAC token")
	}
	return s.set, nil
}
