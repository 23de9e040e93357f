package config

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
)

// MinAPIToken is the shortest api.tokens[].token accepted, in bytes: a
// shorter one could be guessed.
const MinAPIToken = 16

// API configures the management API, served under /api/v1. Without tokens
// the API is off: every /api/v1 request is answered 404, saying how to
// turn it on.
type API struct {
	// Listen, when set, is a separate address for the management API, such
	// as "127.0.0.1:9090", and the API is then not served on Listen. Empty
	// (the default) serves it on the main listener.
	Listen string `yaml:"listen"`
	// Tokens are the bearer tokens that may call the API. Optional; none
	// turns the API off.
	Tokens []APIToken `yaml:"tokens"`
}

// APIToken is one bearer token of the management API. Give the token
// itself (usually as ${ENV}) or its SHA-256 digest, not both.
type APIToken struct {
	// Name identifies the token in logs (never the token). Required; 1 to
	// 64 letters, digits, '-' and '_'; unique.
	Name string `yaml:"name"`
	// Token is the bearer token, at least MinAPIToken bytes.
	Token string `yaml:"token"`
	// TokenSHA256 is the hex SHA-256 digest of the token (64 hex digits),
	// so the config need not hold the token: `printf %s "$TOKEN" |
	// sha256sum`.
	TokenSHA256 string `yaml:"token_sha256"`
	// Scope is read (GET requests only) or admin (everything). Default
	// read.
	Scope string `yaml:"scope"`
}

// setAPIDefaults fills the API section's defaults.
func setAPIDefaults(a *API) {
	for i := range a.Tokens {
		a.Tokens[i].Scope = cmp.Or(a.Tokens[i].Scope, "read")
	}
}

// validateAPI checks the api section. Messages never repeat a token.
func (c *Config) validateAPI(p *problems) {
	a := c.API
	if a.Listen != "" {
		if _, _, err := net.SplitHostPort(a.Listen); err != nil {
			p.add("api.listen", "invalid address %q (want host:port or :port)", a.Listen)
		} else if a.Listen == c.Listen {
			p.add("api.listen", "same address as listen; leave api.listen out to serve the API there")
		}
	}
	names := map[string]int{}
	digests := map[string]int{}
	for i, t := range a.Tokens {
		f := fmt.Sprintf("api.tokens[%d]", i)
		switch j, dup := names[t.Name]; {
		case t.Name == "":
			p.add(f+".name", "required")
		case !nameRE.MatchString(t.Name):
			p.add(f+".name", "invalid name %q: use 1 to 64 letters, digits, '-' or '_'", t.Name)
		case dup:
			p.add(f+".name", "duplicate name %q (also api.tokens[%d])", t.Name, j)
		default:
			names[t.Name] = i
		}
		digest, ok := tokenDigest(p, f, t)
		if ok {
			if j, dup := digests[digest]; dup {
				p.add(f, "same token as api.tokens[%d]", j)
			} else {
				digests[digest] = i
			}
		}
		oneOf(p, f+".scope", t.Scope, "read", "admin")
	}
}

// tokenDigest checks that t has exactly one of token and token_sha256,
// and returns the token's digest in lower-case hex.
func tokenDigest(p *problems, f string, t APIToken) (string, bool) {
	switch {
	case t.Token != "" && t.TokenSHA256 != "":
		p.add(f+".token_sha256", "give token or token_sha256, not both")
	case t.Token == "" && t.TokenSHA256 == "":
		p.add(f+".token", "required (or token_sha256)")
	case t.Token != "" && len(t.Token) < MinAPIToken:
		p.add(f+".token", "too short: %d bytes, want at least %d (such as the output of `openssl rand -hex 32`)", len(t.Token), MinAPIToken)
	case t.Token != "":
		sum := sha256.Sum256([]byte(t.Token))
		return hex.EncodeToString(sum[:]), true
	default:
		b, err := hex.DecodeString(t.TokenSHA256)
		if err != nil || len(b) != 32 {
			p.add(f+".token_sha256", "want 64 hex digits (a SHA-256 digest)")
			return "", false
		}
		return hex.EncodeToString(b), true
	}
	return "", false
}
