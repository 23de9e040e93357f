package verify

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// testNow is the receive time of every test request.
func testNow() time.Time { return time.Unix(1700000000, 0) }

// swSecret is a valid Standard Webhooks secret for tests.
const swSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// withSecrets returns o with secrets set.
func withSecrets(o Options, secrets ...string) Options {
	o.Secrets = secrets
	return o
}

func newProvider(t testing.TB, provider string, o Options) Provider {
	t.Helper()
	p, err := New(provider, o)
	if err != nil {
		t.Fatalf("New(%q): %v", provider, err)
	}
	return p
}

// post returns an unsigned POST of body at testNow.
func post(body []byte) *Request {
	return &Request{
		Method: http.MethodPost,
		URL:    &url.URL{Path: "/in/test"},
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   body,
		Now:    testNow(),
	}
}

// signed returns a POST of body signed as provider would with o.
func signed(t testing.TB, provider string, o Options, body []byte) *Request {
	t.Helper()
	s, err := NewSigner(provider, o)
	if err != nil {
		t.Fatalf("NewSigner(%q): %v", provider, err)
	}
	r := post(body)
	if err := s.Sign(r); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return r
}

// reason returns "" for nil, the Reason of a *Failure, or a marker that
// makes any comparison fail for another error.
func reason(err error) string {
	if err == nil {
		return ""
	}
	var f *Failure
	if errors.As(err, &f) {
		return f.Reason
	}
	return "not a *Failure: " + err.Error()
}
