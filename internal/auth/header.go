package auth

import (
	"encoding/base64"
	"net/http"
	"strings"
)

// single returns the value of header name when r has exactly one; a header
// sent twice is ambiguous and counts as missing.
func single(h http.Header, name string) (string, bool) {
	v := h.Values(name)
	if len(v) != 1 || v[0] == "" {
		return "", false
	}
	return v[0], true
}

// credentials parses an Authorization value "<scheme> <credentials>" (RFC
// 9110, section 11.4): the scheme is matched without regard to case, and
// the credentials are one word, with no space, tab or control character.
func credentials(value, scheme string) (string, bool) {
	s, rest, ok := strings.Cut(value, " ")
	if !ok || !strings.EqualFold(s, scheme) {
		return "", false
	}
	cred := strings.Trim(rest, " \t")
	if cred == "" {
		return "", false
	}
	for i := 0; i < len(cred); i++ {
		if c := cred[i]; c <= ' ' || c == 0x7f {
			return "", false
		}
	}
	return cred, true
}

// parseBasic parses an Authorization value "Basic base64(user:password)"
// (RFC 7617). The user name holds no ':'; the password may.
func parseBasic(value string) (user, password string, ok bool) {
	cred, ok := credentials(value, "Basic")
	if !ok {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(raw), ":")
}
