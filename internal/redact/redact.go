// Package redact hides credentials and signatures in what hookgate shows
// operators of a stored request: the values of headers and query
// parameters whose names look secret (Authorization, Cookie, X-Hub-
// Signature-256, X-Api-Key, ?token=, ...) are replaced, the names kept,
// so an operator sees that they were there without seeing them.
package redact

import (
	"bytes"
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
var secretWords = [][]byte{
	[]byte("auth"), []byte("cookie"), []byte("credential"), []byte("key"), []byte("passwd"),
	[]byte("password"), []byte("secret"), []byte("session"), []byte("sig"), []byte("token"), []byte("hmac"),
}

// Secret reports whether a header or query parameter named name may carry
// a credential or a signature.
//
// It runs for every header of every recorded attempt, so a short ASCII
// name is lowered into a buffer on the stack rather than a new string.
func Secret(name string) bool {
	var buf [64]byte
	lower, ok := asciiLower(buf[:0], name)
	if !ok {
		// Long, or not ASCII (a Kelvin sign lowers to the k of "key").
		lower = []byte(strings.ToLower(name))
	}
	for _, w := range secretWords {
		if bytes.Contains(lower, w) {
			return true
		}
	}
	return false
}

// asciiLower appends name lowered to dst if it is ASCII and fits in dst's
// capacity, and reports whether it was.
func asciiLower(dst []byte, name string) ([]byte, bool) {
	if len(name) > cap(dst) {
		return nil, false
	}
	for i := range len(name) {
		c := name[i]
		switch {
		case c >= utf8.RuneSelf:
			return nil, false
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}

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
