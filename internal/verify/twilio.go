package verify

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// twilio is Twilio's X-Twilio-Signature: base64 HMAC-SHA1, under the auth
// token, of the URL Twilio called (public_url and the received query)
// followed, for form POSTs, by every parameter's name and value, sorted by
// name (and by value for a repeated name). JSON bodies are not signed
// directly: Twilio adds bodySHA256, the hex SHA-256 of the body, to the
// query it signs. There is no timestamp.
//
// As Twilio's libraries do, the URL also verifies with the default port
// added, or with its port removed.
//
// A POST that is neither a form nor carries bodySHA256 is refused, and so
// is a GET with a body: otherwise the signature of a URL alone would also
// vouch for a body it never covered.
type twilio struct {
	name      string
	keys      [][]byte
	publicURL string
}

var (
	_ provider      = (*twilio)(nil)
	_ MethodAllower = (*twilio)(nil)
)

const twilioHeader = "X-Twilio-Signature"

func twilioPreset() preset {
	return preset{name: "twilio", doc: "https://www.twilio.com/docs/usage/webhooks/webhooks-security", about: about{
		scheme: "base64 HMAC-SHA1 in `X-Twilio-Signature` of public_url + query, then each form parameter's name and value sorted by name; " +
			"JSON bodies: the query's `bodySHA256` is the hex SHA-256 of the body; no timestamp",
		deliveryID: fromHeader("I-Twilio-Idempotency-Token"),
		eventType:  twilioType(),
		integrity:  paramIntegrity, headers: []string{twilioHeader}, options: usesPublicURL, methods: []string{http.MethodGet},
	}, custom: func(o Options) (provider, error) {
		keys, err := rawKeys(o.Secrets)
		return &twilio{name: "twilio", keys: keys, publicURL: o.PublicURL}, err
	}}
}

func twilioType() field {
	return fromJSON("0", "type").or(fromJSON("type")).or(fromForm("MessageStatus", "SmsStatus", "CallStatus"))
}

// Verify implements Provider.
func (t *twilio) Verify(r *Request) error {
	v, f := single(r.Header, twilioHeader, http.CanonicalHeaderKey(twilioHeader))
	if f != nil {
		return f
	}
	var sig [sha1.Size]byte
	if !base64Encoding.decode(sig[:], v) {
		return &Failure{Reason: "malformed " + twilioHeader + " header"}
	}
	base, params, bodyHash, f := t.signed(r)
	if f != nil {
		return f
	}
	for _, u := range portVariants(base) {
		for _, key := range t.keys {
			if hmac.Equal(twilioMAC(key, u, params), sig[:]) {
				if bodyHash == "" {
					return nil
				}
				sum := sha256.Sum256(r.Body)
				if got, err := hex.DecodeString(bodyHash); err != nil || !hmac.Equal(got, sum[:]) {
					return &Failure{Reason: "bodySHA256 mismatch"}
				}
				return nil
			}
		}
	}
	return &Failure{Reason: "signature mismatch"}
}

// signed returns what r's signature covers: the URL, the sorted form
// parameters, and the bodySHA256 the body must match ("" for none).
func (t *twilio) signed(r *Request) (u string, params []string, bodyHash string, f *Failure) {
	if u, f = requestURL(t.publicURL, r); f != nil {
		return "", nil, "", f
	}
	if r.URL != nil {
		if values, ok := r.URL.Query()["bodySHA256"]; ok {
			if len(values) != 1 || values[0] == "" {
				return "", nil, "", &Failure{Reason: "malformed bodySHA256 query parameter"}
			}
			return u, nil, values[0], nil
		}
	}
	switch {
	case r.Method == http.MethodGet && len(r.Body) > 0:
		return "", nil, "", &Failure{Reason: "a GET with a body is not signed"}
	case r.Method == http.MethodGet:
		return u, nil, "", nil
	case !isForm(r.Header):
		return "", nil, "", &Failure{Reason: "body not covered: neither a form nor a bodySHA256 query parameter"}
	}
	q, err := url.ParseQuery(string(r.Body))
	if err != nil {
		return "", nil, "", &Failure{Reason: "malformed form body"}
	}
	return u, sortedParams(q), "", nil
}

// sortedParams lists name and value pairs sorted by name, then value; a
// value repeated under one name counts once, as in Twilio's libraries.
func sortedParams(q url.Values) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(q)) {
		values := slices.Compact(slices.Sorted(slices.Values(q[name])))
		for _, v := range values {
			out = append(out, name, v)
		}
	}
	return out
}

func twilioMAC(key []byte, u string, params []string) []byte {
	m := hmac.New(sha1.New, key)
	m.Write([]byte(u))
	for _, p := range params {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// portVariants returns u, then u with the scheme's default port when it has
// no port, or u without its port when it has one.
func portVariants(u string) []string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return []string{u}
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	host, tail := rest[:end], rest[end:]
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		return []string{u, scheme + "://" + host[:i] + tail}
	}
	port := map[string]string{"https": ":443", "http": ":80"}[strings.ToLower(scheme)]
	if port == "" {
		return []string{u}
	}
	return []string{u, scheme + "://" + host + port + tail}
}

// isForm reports whether the body is application/x-www-form-urlencoded.
func isForm(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// Sign implements Signer: a form body's parameters are signed; any other
// body gets a bodySHA256 query parameter, added to r.URL.
func (t *twilio) Sign(r *Request) error {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	if r.Method != http.MethodGet && !isForm(r.Header) {
		sum := sha256.Sum256(r.Body)
		u := url.URL{}
		if r.URL != nil {
			u = *r.URL
		}
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += "bodySHA256=" + hex.EncodeToString(sum[:])
		r.URL = &u
	}
	base, params, _, f := t.signed(r)
	if f != nil {
		return errors.New("twilio: sign: " + f.Reason)
	}
	r.Header.Set(twilioHeader, base64Encoding.encode(twilioMAC(t.keys[0], base, params)))
	return nil
}

// Identify implements Provider.
func (t *twilio) Identify(r *Request) Identity {
	return identify(r, fromHeader("I-Twilio-Idempotency-Token"), twilioType())
}

// Challenge implements Provider: Twilio has no handshake.
func (t *twilio) Challenge(*Request) (*Response, bool) { return nil, false }

// Allows implements MethodAllower: Twilio calls GET webhooks too.
func (t *twilio) Allows(method string) bool {
	return method == http.MethodPost || method == http.MethodGet
}

// rawKeys turns secrets into keys as they are, at least one, none empty.
func rawKeys(secrets []string) ([][]byte, error) {
	s := &scheme{hash: crypto.SHA256}
	return s.keysOf(secrets)
}
