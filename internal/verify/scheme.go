package verify

import (
	"crypto"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	// Register the hashes a scheme may name.
	_ "crypto/md5"
	_ "crypto/sha1"
	_ "crypto/sha256"
)

// scheme is a declarative signature scheme: most providers are one row of
// it (see rows_*.go); New copies the row and adds the keys. A configured
// *scheme is never changed again, so it is safe for concurrent use.
type scheme struct {
	// name is the provider's name, set by New.
	name string

	// header carries the signature, spelled as reasons name it.
	header string
	// altHeaders also carry signatures, any one of which may match: a
	// renamed header (Shopify's shopify-hmac-sha256) or one per key (Box's
	// secondary, DocuSign's -2, -3, ...).
	altHeaders []string
	hash       crypto.Hash
	// mac is how the key enters the digest; HMAC unless said otherwise.
	mac macKind
	// encoding of the MAC in the header.
	encoding encoding
	// prefix comes before each encoded MAC, such as "sha256=".
	prefix string
	// listSep, when set, means the header holds a list of entries separated
	// by it (blanks around entries are ignored): those that start with
	// prefix are signatures, any one of which may match; the others (other
	// versions, Stripe's test-mode v0) are ignored. Otherwise each header
	// holds exactly one signature.
	listSep string
	// tsField, in a list, is the prefix of the entry holding the signed
	// timestamp ("t=" for Stripe).
	tsField string

	// signs is what the MAC covers, a template of literal text and the
	// fields {id}, {timestamp}, {body}, {method}, {url} (the public URL
	// and the received query) and {endpoint} (the public URL, no query).
	signs string
	// decodeEscapes lists characters whose %XX escapes are decoded in the
	// signed URL (HubSpot v3).
	decodeEscapes string
	// idHeader carries {id}; timestampHeader carries {timestamp} when it
	// is not a tsField.
	idHeader        string
	timestampHeader string
	timestampFormat timeFormat
	// tolerance is the default bound on |Now - timestamp|; Options.Tolerance
	// overrides it.
	tolerance time.Duration

	// secret says how a configured secret becomes the key.
	secret secretEncoding
	// secretPrefix is stripped from a base64 secret when present ("whsec_").
	secretPrefix string

	// jsonObject refuses bodies that are not a JSON object (see x.go).
	jsonObject bool

	// deliveryID and eventType say where the Identity is found.
	deliveryID field
	eventType  field

	// challenge answers the provider's handshake, and handshake says what
	// it does (for docs/providers.md); both empty when it has none.
	challenge func(s *scheme, r *Request) (*Response, bool)
	handshake string
	// verifyToken says the handshake needs Options.VerifyToken.
	verifyToken bool
	// methods lists methods other than POST that events may arrive with.
	methods []string

	// Set by configure.
	parts []part
	// keys are the MAC keys, one per configured secret; keys[0] signs.
	keys [][]byte
	// publicURL is Options.PublicURL; empty when not set.
	publicURL string
	// token is Options.VerifyToken.
	token string
	// canonical holds the canonical forms of header, altHeaders, idHeader
	// and timestampHeader, so that Verify's lookups do not allocate.
	canonical struct {
		headers       []string
		id, timestamp string
	}
}

// macKind is how a scheme's key enters its digest.
type macKind int

const (
	// hmacMAC: HMAC(key, message).
	hmacMAC macKind = iota
	// keyThenMessage: hash(key + message), a plain hash (HubSpot v1/v2,
	// Recharge's legacy header).
	keyThenMessage
	// messageThenKey: hash(message + key) (Vonage's md5hash).
	messageThenKey
)

func (k macKind) String() string {
	return [...]string{"HMAC", "hash of secret + message", "hash of message + secret"}[k]
}

// encoding is how a MAC is written in a header.
type encoding int

const (
	// hexEncoding is lower case when signing; either case verifies.
	hexEncoding encoding = iota
	// base64Encoding is standard base64 with padding (RFC 4648 section 4).
	base64Encoding
	// base64URLEncoding is URL-safe base64 without padding (section 5).
	base64URLEncoding
)

func (e encoding) String() string {
	return [...]string{"hex", "base64", "unpadded base64url"}[e]
}

// strictBase64 and strictBase64URL refuse non-canonical encodings and
// embedded newlines.
var (
	strictBase64    = base64.StdEncoding.Strict()
	strictBase64URL = base64.RawURLEncoding.Strict()
)

func (e encoding) encode(mac []byte) string {
	switch e {
	case base64Encoding:
		return strictBase64.EncodeToString(mac)
	case base64URLEncoding:
		return strictBase64URL.EncodeToString(mac)
	}
	return hex.EncodeToString(mac)
}

// decode decodes src into dst and reports whether src was exactly one
// encoded MAC of len(dst) bytes.
func (e encoding) decode(dst []byte, src string) bool {
	if e == hexEncoding {
		if len(src) != hex.EncodedLen(len(dst)) {
			return false
		}
		_, err := hex.Decode(dst, []byte(src))
		return err == nil
	}
	enc := strictBase64
	if e == base64URLEncoding {
		enc = strictBase64URL
	}
	// Decode may write up to two bytes more than a valid MAC holds.
	var buf [sha512.Size + 2]byte
	if len(src) != enc.EncodedLen(len(dst)) || enc.DecodedLen(len(src)) > len(buf) {
		return false
	}
	n, err := enc.Decode(buf[:], []byte(src))
	return err == nil && n == len(dst) && copy(dst, buf[:n]) == n
}

// secretEncoding is how a configured secret becomes a key.
type secretEncoding int

const (
	// rawSecret: the secret's bytes are the key.
	rawSecret secretEncoding = iota
	// base64Secret: the key is the standard base64 decoding of the secret,
	// after an optional secretPrefix.
	base64Secret
)

// timeFormat is how a signed timestamp is written.
type timeFormat int

const (
	unixSeconds timeFormat = iota
	unixMillis
	// rfc3339 accepts fractions of a second and any offset.
	rfc3339
)

func (f timeFormat) String() string {
	return [...]string{"unix seconds", "unix milliseconds", "RFC 3339"}[f]
}

// format writes t as the provider does.
func (f timeFormat) format(t time.Time) string {
	switch f {
	case unixMillis:
		return fmt.Sprint(t.UnixMilli())
	case rfc3339:
		return t.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(t.Unix())
}

// part is one piece of a signed message.
type part struct {
	kind partKind
	text string // literal text
}

type partKind int

const (
	literalPart partKind = iota
	idPart
	timestampPart
	bodyPart
	methodPart
	urlPart
	endpointPart
)

// partNamed returns the kind of a template field such as "{body}".
func partNamed(name string) (partKind, bool) {
	switch name {
	case "{id}":
		return idPart, true
	case "{timestamp}":
		return timestampPart, true
	case "{body}":
		return bodyPart, true
	case "{method}":
		return methodPart, true
	case "{url}":
		return urlPart, true
	case "{endpoint}":
		return endpointPart, true
	}
	return 0, false
}

// parseTemplate splits a signs template into parts.
func parseTemplate(t string) ([]part, error) {
	var parts []part
	for t != "" {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			parts = append(parts, part{text: t})
			break
		}
		if i > 0 {
			parts = append(parts, part{text: t[:i]})
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("template %q: unclosed {", t)
		}
		kind, ok := partNamed(t[i : i+j+1])
		if !ok {
			return nil, fmt.Errorf("template %q: unknown field %s", t, t[i:i+j+1])
		}
		parts = append(parts, part{kind: kind})
		t = t[i+j+1:]
	}
	return parts, nil
}

// uses reports whether the template signs the field k.
func (s *scheme) uses(k partKind) bool {
	for _, p := range s.parts {
		if p.kind == k {
			return true
		}
	}
	return false
}

// timestamped reports whether the scheme signs a timestamp.
func (s *scheme) timestamped() bool { return s.timestampHeader != "" || s.tsField != "" }
