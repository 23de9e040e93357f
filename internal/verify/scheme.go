package verify

import (
	"crypto"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"time"

	// Register the hashes a scheme may name.
	_ "crypto/sha1"
	_ "crypto/sha256"
)

// scheme is a declarative HMAC signature scheme. Most providers are one row
// of it (see github.go); New copies the row and adds the keys. A configured
// *scheme is never changed again, so it is safe for concurrent use.
type scheme struct {
	// name is the provider's name, set by New.
	name string

	// header carries the signature, spelled as reasons name it.
	header string
	hash   crypto.Hash
	// encoding of the MAC in the header.
	encoding encoding
	// prefix comes before each encoded MAC, such as "sha256=".
	prefix string
	// list means the header holds space-separated signatures, any one of
	// which may match; entries that do not start with prefix (another
	// version) are ignored. Otherwise the header holds exactly one.
	list bool

	// signs says what the MAC covers; parts are joined by sep.
	signs message
	sep   string
	// idHeader and timestampHeader carry the signed id and the signed
	// unix-seconds timestamp, when signs includes them.
	idHeader        string
	timestampHeader string
	// tolerance is the default bound on |Now - timestamp|; Options.Tolerance
	// overrides it.
	tolerance time.Duration

	// secret says how a configured secret becomes the HMAC key.
	secret secretEncoding
	// secretPrefix is stripped from a base64 secret when present ("whsec_").
	secretPrefix string

	// jsonObject refuses bodies that are not a JSON object (see x.go).
	jsonObject bool

	// deliveryIDHeader and eventTypeHeader carry the Identity; eventType,
	// when set, reads the type from the body instead.
	deliveryIDHeader string
	eventTypeHeader  string
	eventType        func(body []byte) string

	// challenge answers the provider's handshake; nil when it has none.
	challenge func(s *scheme, r *Request) (*Response, bool)

	// keys are the HMAC keys, one per configured secret; keys[0] signs.
	keys [][]byte
	// canonical holds the canonical forms of header, idHeader and
	// timestampHeader, so that Verify's lookups do not allocate.
	canonical struct{ header, id, timestamp string }
}

// message is what a scheme's MAC covers.
type message int

const (
	// signsBody: the raw body.
	signsBody message = iota
	// signsTimestampBody: timestamp + sep + body.
	signsTimestampBody
	// signsIDTimestampBody: id + sep + timestamp + sep + body.
	signsIDTimestampBody
)

// encoding is how a MAC is written in a header.
type encoding int

const (
	// hexEncoding is lower case when signing; either case verifies.
	hexEncoding encoding = iota
	// base64Encoding is standard base64 with padding (RFC 4648 section 4).
	base64Encoding
)

// strictBase64 refuses non-canonical encodings and embedded newlines.
var strictBase64 = base64.StdEncoding.Strict()

func (e encoding) encode(mac []byte) string {
	if e == base64Encoding {
		return strictBase64.EncodeToString(mac)
	}
	return hex.EncodeToString(mac)
}

// decode decodes src into dst and reports whether src was exactly one
// encoded MAC of len(dst) bytes.
func (e encoding) decode(dst []byte, src string) bool {
	switch e {
	case hexEncoding:
		if len(src) != hex.EncodedLen(len(dst)) {
			return false
		}
		_, err := hex.Decode(dst, []byte(src))
		return err == nil
	case base64Encoding:
		// Decode may write up to two bytes more than a valid MAC holds.
		var buf [sha512.Size + 2]byte
		if len(src) != strictBase64.EncodedLen(len(dst)) || strictBase64.DecodedLen(len(src)) > len(buf) {
			return false
		}
		n, err := strictBase64.Decode(buf[:], []byte(src))
		return err == nil && n == len(dst) && copy(dst, buf[:n]) == n
	}
	return false
}

// secretEncoding is how a configured secret becomes an HMAC key.
type secretEncoding int

const (
	// rawSecret: the secret's bytes are the key.
	rawSecret secretEncoding = iota
	// base64Secret: the key is the standard base64 decoding of the secret,
	// after an optional secretPrefix.
	base64Secret
)
