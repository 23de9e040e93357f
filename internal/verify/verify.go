// Package verify checks that incoming webhook requests come from who they
// claim to: one file per provider scheme, each comparing in constant time and
// bounding timestamps against replays. It also answers provider handshakes
// (X's CRC, ...) and reads each provider's event type and delivery id.
//
// New and NewSigner look a provider up by name (Names lists them). Most
// providers are one row of a declarative HMAC scheme (scheme.go): which
// header, hash, encoding and prefix; whether the MAC covers the body, a
// timestamp and the body, or an id, a timestamp and the body; the default
// timestamp tolerance; how the secret becomes a key; and where the delivery
// id and event type are found. A provider's file (github.go, x.go,
// standardwebhooks.go) holds its row and anything only it needs, such as X's
// CRC handshake; hmac.go builds a row from Options.HMAC. Adding a provider is
// a file with a row and a line in registry.go.
//
// Verification decodes the provided signature and compares MACs as bytes
// with hmac.Equal, trying every configured secret (rotation). Failures are
// *Failure values whose reasons are safe to return and store.
package verify

import (
	"net/http"
	"net/url"
	"time"
)

// Request is what a Provider sees of an incoming request. Body is the raw
// body, byte for byte: schemes sign bytes, never a re-serialisation.
type Request struct {
	Method string
	// URL is the request URL as received (path and raw query).
	URL    *url.URL
	Header http.Header
	Body   []byte
	// Now is the receive time, used for timestamp tolerance.
	Now time.Time
}

// Response is a handshake answer, written as is.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
}

// Identity is what the provider says about a request: its event type and its
// own delivery id (the dedup key). Either may be empty.
type Identity struct {
	Type       string
	DeliveryID string
}

// Provider is one configured source's scheme.
type Provider interface {
	// Challenge answers a provider handshake. ok is false when r is not a
	// handshake, and the request goes on to Verify.
	Challenge(r *Request) (resp *Response, ok bool)
	// Verify returns nil when r is authentic, or a *Failure saying why not.
	Verify(r *Request) error
	// Identify reads the event type and delivery id of a verified request.
	Identify(r *Request) Identity
}

// Signer signs an outgoing request exactly as the provider would. It is used
// by `hookgate send`, by the benchmark, and by tests.
type Signer interface {
	// Sign sets the provider's signature headers on r (and any other headers
	// the scheme signs, such as timestamps), computed over r.Body at r.Now.
	Sign(r *Request) error
}

// Failure is the error Verify returns for a request that is not authentic.
// Reason is safe to answer with and to store: it never holds a secret or the
// expected signature.
type Failure struct {
	Reason string
}

func (f *Failure) Error() string { return "verify: " + f.Reason }

// Options configure one source's provider.
type Options struct {
	// Secrets are the accepted secrets; any one verifies (rotation). Signers
	// use the first.
	Secrets []string
	// Tolerance bounds how far a signed timestamp may be from Now, in the past
	// or the future. Zero means the provider's documented default.
	Tolerance time.Duration
	// HMAC configures the generic "hmac" scheme; other providers ignore it.
	HMAC HMACOptions
}

// HMACOptions configure the generic "hmac" scheme for senders without a
// provider preset (for example an API Gateway that signs with x-hmac).
type HMACOptions struct {
	// Header carries the signature.
	Header string
	// Algorithm is sha1, sha256 or sha512.
	Algorithm string
	// Encoding of the signature: hex or base64.
	Encoding string
	// Prefix before the encoded signature, such as "sha256=". Optional.
	Prefix string
	// EventTypeHeader and DeliveryIDHeader name the headers that carry the
	// event type and the delivery id (dedup key). Optional.
	EventTypeHeader  string
	DeliveryIDHeader string
}
