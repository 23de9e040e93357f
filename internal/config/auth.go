package config

import (
	"cmp"
	"time"
)

// Auth authenticates a source's senders by who they are rather than by a
// provider's body signature: for senders such as an API gateway in front of
// a queue. Every method set here must pass, in the order ip_allow, mtls,
// basic, bearer, api_key, jwt, and all of them before the provider's
// signature (if any) is checked. A source with auth may leave provider out:
// it is then accepted without a signature.
//
// A method written with no value (such as "mtls:" alone) is an error, not
// a silent "off": write mtls: {} to require any verified client certificate.
type Auth struct {
	// Basic requires HTTP Basic credentials (RFC 7617).
	Basic *BasicAuth `yaml:"basic"`
	// Bearer requires "Authorization: Bearer <token>" with one of Tokens.
	Bearer *BearerAuth `yaml:"bearer"`
	// APIKey requires one of Keys in a named header.
	APIKey *APIKeyAuth `yaml:"api_key"`
	// JWT requires a signed JSON Web Token (RFC 7519).
	JWT *JWTAuth `yaml:"jwt"`
	// IPAllow requires the client address to be inside one of its CIDRs.
	IPAllow *IPAllow `yaml:"ip_allow"`
	// MTLS requires a verified TLS client certificate.
	MTLS *MTLS `yaml:"mtls"`
}

// BasicAuth is HTTP Basic authentication. Both fields are compared in
// constant time, and both always, so a wrong user name takes as long as a
// wrong password.
type BasicAuth struct {
	// Username is the expected user name. Required.
	Username string `yaml:"username"`
	// Password is the expected password. Required.
	Password string `yaml:"password"`
}

// BearerAuth accepts "Authorization: Bearer <token>" (RFC 6750).
type BearerAuth struct {
	// Tokens are the accepted tokens; any one passes (rotation). Empty
	// entries (as "${T2:-}" gives) are dropped; at least one must remain.
	Tokens []string `yaml:"tokens"`
}

// APIKeyAuth accepts a key in a named header.
type APIKeyAuth struct {
	// Header carries the key. Default "x-api-key".
	Header string `yaml:"header"`
	// Prefix, when set, must precede the key in the header, such as "Key ".
	// Optional.
	Prefix string `yaml:"prefix"`
	// Keys are the accepted keys; any one passes (rotation). Empty entries
	// are dropped; at least one must remain.
	Keys []string `yaml:"keys"`
}

// JWTAuth accepts a JSON Web Token signed either with a shared secret (HS*)
// or with a key from a JWKS (RS*, PS*, ES*, EdDSA), never both: the token's
// own "alg" never chooses between a secret and a public key. The token must
// carry "exp"; "exp" and "nbf" are checked with Leeway.
type JWTAuth struct {
	// Algorithms lists the accepted "alg" values: HS256, HS384, HS512 (with
	// secret), or RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384,
	// ES512, EdDSA (with a JWKS). "none" is never accepted. Required.
	Algorithms []string `yaml:"algorithms"`
	// Secret is the shared secret of the HS* algorithms.
	Secret string `yaml:"secret"`
	// Secrets lists more accepted secrets, for rotation.
	Secrets []string `yaml:"secrets"`
	// JWKSFile is a JWK Set (RFC 7517) file holding the public keys, read
	// once at start (relative paths are relative to the working folder).
	JWKSFile string `yaml:"jwks_file"`
	// JWKSURL is an https URL serving the JWK Set. It is fetched on the
	// first token, kept for JWKSRefresh, and fetched again sooner when a
	// token names a key id it does not hold (at most every 30s).
	JWKSURL string `yaml:"jwks_url"`
	// JWKSRefresh is how long a fetched JWK Set is used before it is
	// fetched again. Default 1h (jwks_url only).
	JWKSRefresh Duration `yaml:"jwks_refresh"`
	// Issuer, when set, must equal the token's "iss".
	Issuer string `yaml:"issuer"`
	// Audience, when set, must be one of the token's "aud".
	Audience string `yaml:"audience"`
	// Leeway allows for clock skew when checking "exp" and "nbf".
	// Default 1m.
	Leeway Duration `yaml:"leeway"`
	// Header carries the token as its whole value. Default: the
	// Authorization header, as "Bearer <token>".
	Header string `yaml:"header"`
}

// AllSecrets returns Secret followed by Secrets, without empty ones.
func (j *JWTAuth) AllSecrets() []string {
	return nonEmpty(append([]string{j.Secret}, j.Secrets...))
}

// IPAllow admits only clients whose address is inside one of CIDRs.
//
// The client address is the TCP peer's. When the peer is inside one of
// TrustedProxies, it is instead the right-most address of X-Forwarded-For
// that is not itself a trusted proxy (all X-Forwarded-For headers are read
// as one list, in order); when every listed address is trusted, the
// left-most one. An unparsable entry met on that walk fails the check.
// X-Forwarded-For from any other peer is ignored, since anyone can write it.
type IPAllow struct {
	// CIDRs are the allowed client networks, such as 10.0.0.0/8; a bare
	// address means that address alone. Required.
	CIDRs []string `yaml:"cidrs"`
	// TrustedProxies are the networks of proxies whose X-Forwarded-For is
	// believed. Optional.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// MTLS requires a TLS client certificate that verified against the
// listener's client CAs.
type MTLS struct {
	// Subjects, when set, lists the accepted certificates by subject common
	// name or DNS subject alternative name (exact, case-insensitive).
	// Optional: left out, any verified certificate passes.
	Subjects []string `yaml:"subjects"`
}

// setAuthDefaults fills the defaults of a's methods (see their fields).
func setAuthDefaults(a *Auth) {
	if a == nil {
		return
	}
	if k := a.APIKey; k != nil {
		k.Header = cmp.Or(k.Header, "x-api-key")
	}
	if j := a.JWT; j != nil {
		j.Leeway = cmp.Or(j.Leeway, Duration(time.Minute))
		if j.JWKSURL != "" {
			j.JWKSRefresh = cmp.Or(j.JWKSRefresh, Duration(time.Hour))
		}
	}
}

// nonEmpty returns list without its empty strings.
func nonEmpty(list []string) []string {
	var out []string
	for _, v := range list {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
