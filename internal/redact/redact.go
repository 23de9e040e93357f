// Package redact hides credentials and signatures in what hookgate shows
// operators of a stored request: the values of headers and query
// parameters whose names look secret (Authorization, Cookie, X-Hub-
// Signature-256, X-Api-Key, ?token=, ...) are replaced, the names kept,
// so an operator sees that they were there without seeing them.
package redact

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Mask replaces a hidden value.
const Mask = "[redacted]"

// secretWords are parts of header and query parameter names that mark
// their values as credentials or signatures. "sig" covers signature,
// x-signature-ed25519 and sig= alike; "auth" covers authorization and
// proxy-authorization.
var secretWords = []string{
	"auth", "cookie", "credential", "key", "passwd", "password", "secret",
	"session", "sig", "token", "hmac",
}

// Secret reports whether a header or query parameter named name may carry
// a credential or a signature.
//
// It runs for every header of every recorded attempt, so it compares
// without lowering name into a new string.
func Secret(name string) bool {
	for i := range len(name) {
		if name[i] >= utf8.RuneSelf {
			// Non-ASCII (say a Kelvin sign for the k of "key") lowers
			// to ASCII over a different number of bytes.
			name = strings.ToLower(name)
			break
		}
	}
	for _, w := range secretWords {
		if containsFold(name, w) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains word (lower-case ASCII), ignoring
// case.
func containsFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(word)], word) {
			return true
		}
	}
	return false
}

// Header returns a copy of h with the values of secret-looking headers
// replaced by Mask; nil for none.
func Header(h http.Header) http.Header {
	if len(h) == 0 {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		c := make([]string, len(vs))
		for i, v := range vs {
			if Secret(k) {
				v = Mask
			}
			c[i] = v
		}
		out[k] = c
	}
	return out
}

// Query returns a raw query string with the values of secret-looking
// parameters replaced by Mask, and the rest as given. A query that does
// not parse is returned with every value masked: better too little than a
// secret.
func Query(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if !hasValue {
			continue
		}
		if err != nil || Secret(name) {
			parts[i] = k + "=" + url.QueryEscape(Mask)
		}
	}
	return strings.Join(parts, "&")
}
