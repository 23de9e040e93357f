package config

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// validateAuth checks a source's auth block and required headers, and that
// a source without a provider has nothing only a provider would use.
func validateAuth(p *problems, f string, s *Source) {
	validateRequiredHeaders(p, f+".required_headers", s.RequiredHeaders)
	if s.Provider == "" && s.Auth != nil {
		if len(s.AllSecrets()) > 0 {
			p.add(f+".secret", "only used with a provider (this source has auth and no provider)")
		}
		if s.HMAC != nil {
			p.add(f+".hmac", "only used by provider \"hmac\" (set provider: hmac)")
		}
	}
	f += ".auth"
	a := s.Auth
	if a == nil {
		if present(p, f) {
			p.add(f, "empty: set at least one method (basic, bearer, api_key, jwt, ip_allow, mtls)")
		}
		return
	}
	empty := true
	for _, m := range []struct {
		name string
		set  bool
	}{
		{"basic", a.Basic != nil}, {"bearer", a.Bearer != nil}, {"api_key", a.APIKey != nil},
		{"jwt", a.JWT != nil}, {"ip_allow", a.IPAllow != nil}, {"mtls", a.MTLS != nil},
	} {
		empty = empty && !m.set
		if !m.set && present(p, f+"."+m.name) {
			p.add(f+"."+m.name, "empty: fill it in or remove it (mtls: {} accepts any verified certificate)")
		}
	}
	if empty {
		p.add(f, "set at least one method (basic, bearer, api_key, jwt, ip_allow, mtls)")
	}
	validateBasic(p, f+".basic", a.Basic)
	if a.Bearer != nil {
		validateTokens(p, f+".bearer.tokens", "token", a.Bearer.Tokens)
	}
	validateAPIKey(p, f+".api_key", a.APIKey)
	validateJWT(p, f+".jwt", a.JWT)
	validateIPAllow(p, f+".ip_allow", a.IPAllow)
	validateMTLS(p, f+".mtls", a.MTLS)
}

// present says whether field was written in the file, even with no value.
func present(p *problems, field string) bool {
	_, ok := p.lines[field]
	return ok
}

func validateRequiredHeaders(p *problems, f string, names []string) {
	seen := map[string]bool{}
	for i, name := range names {
		fi := fmt.Sprintf("%s[%d]", f, i)
		switch {
		case name == "":
			p.add(fi, "empty header name")
		case !tokenRE.MatchString(name):
			p.add(fi, "invalid header name %q", name)
		case seen[strings.ToLower(name)]:
			p.add(fi, "duplicate header %q", name)
		}
		seen[strings.ToLower(name)] = true
	}
}

func validateBasic(p *problems, f string, b *BasicAuth) {
	if b == nil {
		return
	}
	if b.Username == "" {
		p.add(f+".username", "required")
	} else if strings.Contains(b.Username, ":") {
		p.add(f+".username", "must not contain ':' (Basic credentials are user:password)")
	}
	if b.Password == "" {
		p.add(f+".password", "required")
	}
}

// validateTokens checks a list of accepted tokens. Empty entries are
// allowed (rotation through an unset variable) as long as one is left.
func validateTokens(p *problems, f, what string, list []string) {
	if len(nonEmpty(list)) == 0 {
		p.add(f, "at least one non-empty %s required", what)
	}
	for i, v := range list {
		if strings.ContainsAny(v, "\r\n\x00") || strings.TrimSpace(v) != v {
			p.add(fmt.Sprintf("%s[%d]", f, i), "invalid %s (has a line break, NUL, or leading or trailing space)", what)
		}
	}
}

func validateAPIKey(p *problems, f string, k *APIKeyAuth) {
	if k == nil {
		return
	}
	if k.Header == "" {
		p.add(f+".header", "required")
	}
	headerName(p, f+".header", k.Header)
	if strings.ContainsAny(k.Prefix, "\r\n\x00") {
		p.add(f+".prefix", "invalid prefix (contains a line break or NUL)")
	}
	validateTokens(p, f+".keys", "key", k.Keys)
}

// jwtFamily says which kind of key verifies alg: "secret" or "jwks".
func jwtFamily(alg string) (string, bool) {
	switch alg {
	case "HS256", "HS384", "HS512":
		return "secret", true
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA":
		return "jwks", true
	}
	return "", false
}

func validateJWT(p *problems, f string, j *JWTAuth) {
	if j == nil {
		return
	}
	families := map[string]bool{}
	if len(j.Algorithms) == 0 {
		p.add(f+".algorithms", "required (for example [RS256] with a JWKS, or [HS256] with a secret)")
	}
	for i, alg := range j.Algorithms {
		fi := fmt.Sprintf("%s.algorithms[%d]", f, i)
		fam, ok := jwtFamily(alg)
		switch {
		case strings.EqualFold(alg, "none"):
			p.add(fi, "\"none\" is never accepted: it means an unsigned token")
		case !ok:
			p.add(fi, "unknown algorithm %q (want HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA)", alg)
		default:
			families[fam] = true
		}
	}
	if families["secret"] && families["jwks"] {
		p.add(f+".algorithms", "mixes HS* (shared secret) with public-key algorithms: a token must not choose which kind of key checks it; configure one kind")
		return
	}
	switch {
	case families["secret"]:
		if len(j.AllSecrets()) == 0 {
			p.add(f+".secret", "required by the HS* algorithms")
		}
		if j.JWKSFile != "" {
			p.add(f+".jwks_file", "not used by the HS* algorithms (they use secret)")
		}
		if j.JWKSURL != "" {
			p.add(f+".jwks_url", "not used by the HS* algorithms (they use secret)")
		}
	case families["jwks"]:
		if len(j.AllSecrets()) > 0 {
			p.add(f+".secret", "only used by the HS* algorithms (public-key algorithms use jwks_file or jwks_url)")
		}
		validateJWKS(p, f, j)
	}
	headerName(p, f+".header", j.Header)
	if j.Leeway < 0 {
		p.add(f+".leeway", "must not be negative")
	}
	if j.JWKSRefresh < 0 {
		p.add(f+".jwks_refresh", "must not be negative")
	}
}

func validateJWKS(p *problems, f string, j *JWTAuth) {
	switch {
	case j.JWKSFile == "" && j.JWKSURL == "":
		p.add(f+".jwks_url", "jwks_url or jwks_file required by the public-key algorithms")
	case j.JWKSFile != "" && j.JWKSURL != "":
		p.add(f+".jwks_file", "set jwks_file or jwks_url, not both")
	case j.JWKSFile != "":
		fh, err := os.Open(j.JWKSFile)
		if err != nil {
			p.add(f+".jwks_file", "cannot read the JWKS file: %v", err)
			return
		}
		fh.Close()
	default:
		validateURL(p, f+".jwks_url", j.JWKSURL)
		if !strings.HasPrefix(strings.ToLower(j.JWKSURL), "https://") {
			p.add(f+".jwks_url", "must be an https URL: keys fetched in clear could be swapped")
		}
	}
}

func validateIPAllow(p *problems, f string, a *IPAllow) {
	if a == nil {
		return
	}
	if len(a.CIDRs) == 0 {
		p.add(f+".cidrs", "required (such as [10.0.0.0/8])")
	}
	for i, c := range a.CIDRs {
		if _, err := ParseCIDR(c); err != nil {
			p.add(fmt.Sprintf("%s.cidrs[%d]", f, i), "%v", err)
		}
	}
	for i, c := range a.TrustedProxies {
		if _, err := ParseCIDR(c); err != nil {
			p.add(fmt.Sprintf("%s.trusted_proxies[%d]", f, i), "%v", err)
		}
	}
}

// ParseCIDR reads a network such as "10.0.0.0/8" or "2001:db8::/32", or a
// bare address meaning that address alone. Host bits are cleared, and
// IPv4-mapped IPv6 addresses are read as IPv4.
func ParseCIDR(s string) (netip.Prefix, error) {
	bad := fmt.Errorf("invalid CIDR %q (want a network such as 10.0.0.0/8, or an address)", s)
	if strings.Contains(s, "/") {
		pfx, err := netip.ParsePrefix(s) // no zones in prefixes
		if err != nil {
			return netip.Prefix{}, bad
		}
		if a := pfx.Addr(); a.Is4In6() && pfx.Bits() >= 96 {
			return netip.PrefixFrom(a.Unmap(), pfx.Bits()-96).Masked(), nil
		}
		return pfx.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, bad
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func validateMTLS(p *problems, f string, m *MTLS) {
	if m == nil {
		return
	}
	for i, s := range m.Subjects {
		if strings.TrimSpace(s) == "" {
			p.add(fmt.Sprintf("%s.subjects[%d]", f, i), "empty subject")
		}
	}
}
