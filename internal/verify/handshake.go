package verify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

// Handshakes shared by several rows. Those that arrive signed are answered
// only once the request verifies; otherwise they are left to Verify, which
// refuses (and records) them.

func textResponse(status int, body string) *Response {
	return &Response{Status: status, ContentType: "text/plain", Body: []byte(body)}
}

func emptyResponse(status int) *Response { return &Response{Status: status} }

// jsonResponse answers v, a map or a struct of strings or numbers, as JSON.
func jsonResponse(status int, v any) *Response {
	body, err := json.Marshal(v)
	if err != nil {
		panic("verify: marshal a handshake answer: " + err.Error()) // cannot happen for maps and structs of strings
	}
	return &Response{Status: status, ContentType: "application/json", Body: body}
}

// query returns the decoded query parameter name of r ("" when absent).
func query(r *Request, name string) string {
	if r.URL == nil {
		return ""
	}
	return r.URL.Query().Get(name)
}

// echoQuery answers a GET carrying the query parameter param with its
// value as text/plain (Dropbox's and Nylas's ?challenge=), and any other GET
// with 400.
func echoQuery(param string) func(*scheme, *Request) (*Response, bool) {
	return func(_ *scheme, r *Request) (*Response, bool) {
		if r.Method != http.MethodGet {
			return nil, false
		}
		v := query(r, param)
		if v == "" {
			return textResponse(http.StatusBadRequest, "missing "+param), true
		}
		return textResponse(http.StatusOK, v), true
	}
}

// tokenMatches compares a handshake token with the configured one in
// constant time (over digests, so the length does not show either).
func tokenMatches(got, want string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return want != "" && hmac.Equal(a[:], b[:])
}

// hubChallenge answers Meta's subscription handshake: a GET with
// hub.mode=subscribe and the configured hub.verify_token gets hub.challenge
// back as text/plain; a wrong or missing token gets 403.
func hubChallenge(s *scheme, r *Request) (*Response, bool) {
	if r.Method != http.MethodGet {
		return nil, false
	}
	challenge := query(r, "hub.challenge")
	switch {
	case query(r, "hub.mode") != "subscribe" || !tokenMatches(query(r, "hub.verify_token"), s.token):
		return textResponse(http.StatusForbidden, "verify token mismatch"), true
	case challenge == "":
		return textResponse(http.StatusBadRequest, "missing hub.challenge"), true
	}
	return textResponse(http.StatusOK, challenge), true
}

// verifiedJSON reports whether r is a POST whose body holds marker, is a
// JSON body, and verifies: the shape of a signed handshake.
func verifiedJSON(s *scheme, r *Request, marker string) bool {
	return r.Method == http.MethodPost && bytes.Contains(r.Body, []byte(marker)) && s.Verify(r) == nil
}

// hexHMAC is the hex HMAC-SHA256 of msg under key.
func hexHMAC(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}
