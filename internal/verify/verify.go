// Package verify checks that incoming webhook requests come from who they
// claim to: one scheme per provider, each comparing in constant time and
// bounding timestamps against replays. It also answers provider handshakes
// (X's CRC, Slack's url_verification, Meta's hub.challenge, ...) and reads
// each provider's event type and delivery id.
//
// New and NewSigner look a provider up by name (Names lists them, and
// docs/providers.md is rendered from the same registry). Most providers are
// one row of a declarative scheme (scheme.go): which header, hash, encoding
// and prefix; what the MAC covers, written as a template such as
// "v0:{timestamp}:{body}"; where the timestamp is and its unit; the default
// tolerance; how the secret becomes a key; and where the delivery id and
// event type are found. The rows live in the rows_*.go tables. Providers
// whose scheme is code (Twilio's URL and parameters, Discord's Ed25519,
// Mailgun's in-body signature, ...) have a file each with a constructor
// returning a Provider that is also a Signer.
//
// Verification decodes the provided signature and compares MACs as bytes
// with hmac.Equal (tokens as SHA-256 digests), trying every configured
// secret (rotation). Failures are *Failure values whose reasons are safe to
// return and store.
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
	URL *url.URL
	// Host is the Host the request was sent to (http.Request.Host). Schemes
	// that sign the URL use it, with https, only when Options.PublicURL is
	// not set and URL is not absolute.
	Host   string
	Header http.Header
	Body   []byte
	// Now is the receive time, used for timestamp tolerance.
	Now time.Time
}

// Response is a handshake answer (or a provider-specific acknowledgement,
// see Acker), written as is.
type Response struct {
	Status      int
	ContentType string
	// Header holds headers the provider requires in the answer, such as
	// Asana's X-Hook-Secret echo. Optional.
	Header http.Header
	Body   []byte
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
	// Schemes that carry the signature elsewhere also change r.Body or
	// r.URL: Mailgun's signature object and Vonage's sig parameter are in
	// the body, Twilio adds bodySHA256 to the query of JSON requests. The
	// caller sends r as Sign left it.
	Sign(r *Request) error
}

// MethodAllower is implemented by providers that accept events by methods
// other than POST (Vonage's inbound SMS can arrive as a GET). The receive
// path asks it instead of refusing everything but POST. Handshakes are
// answered before the method is checked, whatever it is.
type MethodAllower interface {
	// Allows reports whether events may arrive with method.
	Allows(method string) bool
}

// Acker is implemented by providers that require a specific answer to an
// event once it is stored, such as Discord's 204 to webhook events. Ack
// returns nil for the receive path's usual answer.
type Acker interface {
	Ack(r *Request) *Response
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
	// HMAC configures the generic "hmac" scheme; other providers refuse it.
	HMAC HMACOptions

	// The options below are used only by the providers that need them, and
	// refused by the others, so that a misplaced option is an error rather
	// than a silent no-op.

	// PublicURL is this source's URL exactly as the provider was told to
	// call it, such as "https://hooks.example.com/in/twilio": schemes that
	// sign the URL (Twilio, Square, HubSpot v2 and v3, Trello, Plivo, and
	// eBay's challenge) sign its scheme, host and path, followed by the
	// query the request actually arrived with. Set it whenever hookgate is
	// behind a proxy or a rewrite. When empty, the URL is rebuilt as
	// "https://" + Request.Host + the request's path and query, which is
	// right only when hookgate receives the provider's requests directly on
	// that host, over https.
	PublicURL string
	// VerifyToken is the token the provider echoes in a subscription
	// handshake: Meta's and Strava's hub.verify_token, WebSub's optional
	// hub.verify_token, eBay's verification token.
	VerifyToken string
	// PublicKey verifies the asymmetric schemes: Discord's Ed25519 key
	// (hex), Telnyx's Ed25519 key (base64), SendGrid's ECDSA P-256 key and
	// eBay's ECDSA key (base64 DER or PEM). These providers need no secret;
	// a secret, if set, must be the matching private key, which only
	// signers use.
	PublicKey string
	// SignatureMethod is the dashboard's signature method for Vonage's
	// signed SMS webhooks: md5hash, md5hmac, sha1hmac, sha256hmac or
	// sha512hmac (md5, sha1, sha256 and sha512 are accepted for the HMACs).
	SignatureMethod string
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
