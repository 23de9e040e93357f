package verify

import (
	"cmp"
	"crypto"
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// vonageSMS is Vonage's signed SMS webhooks (inbound messages and delivery
// receipts). The parameters, from the query (GET), a form or a JSON object
// (POST), minus sig, are sorted by name and written as "&name=value", with
// "&" and "=" in values replaced by "_". sig is that string's hex digest as
// the dashboard's signature method says: md5hash is MD5(string + secret),
// the others HMAC(secret, string). Vonage sends upper-case hex; either case
// verifies. The signed timestamp parameter (unix seconds) must be within
// the tolerance: Vonage documents no window, 5 minutes is hookgate's policy.
//
// This follows Vonage's documentation and its SMS SDK's verifySignature,
// not @vonage/auth's createSignatureHash, which encodes differently.
type vonageSMS struct {
	method    string
	hash      crypto.Hash
	keys      [][]byte
	tolerance time.Duration
}

var (
	_ provider      = (*vonageSMS)(nil)
	_ MethodAllower = (*vonageSMS)(nil)
)

func vonageSMSPreset() preset {
	return preset{name: "vonage-sms", doc: "https://developer.vonage.com/en/getting-started/concepts/signing-messages", about: about{
		scheme: "`sig` parameter: hex MD5(`&k=v`... + secret) (md5hash) or HMAC-MD5/SHA1/SHA256/SHA512(secret, `&k=v`...) over the other " +
			"parameters sorted by name, `&` and `=` in values replaced by `_`; signed `timestamp` parameter (unix seconds), within 5m (hookgate's policy)",
		deliveryID: vonageSMSID(), eventType: vonageSMSType(),
		tolerance: 5 * time.Minute, integrity: paramIntegrity, options: usesSignatureMethod, methods: []string{http.MethodGet},
	}, custom: newVonageSMS}
}

func newVonageSMS(o Options) (provider, error) {
	methods := map[string]crypto.Hash{
		"md5hash": crypto.MD5, "md5hmac": crypto.MD5, "sha1hmac": crypto.SHA1, "sha256hmac": crypto.SHA256, "sha512hmac": crypto.SHA512,
		"md5": crypto.MD5, "sha1": crypto.SHA1, "sha256": crypto.SHA256, "sha512": crypto.SHA512,
	}
	m := strings.ToLower(o.SignatureMethod)
	h, ok := methods[m]
	switch {
	case o.SignatureMethod == "":
		return nil, errors.New("signature_method is required: md5hash, md5hmac, sha1hmac, sha256hmac or sha512hmac, as the dashboard says")
	case !ok:
		return nil, fmt.Errorf("signature_method %q is not one of md5hash, md5hmac, sha1hmac, sha256hmac, sha512hmac", o.SignatureMethod)
	}
	if m != "md5hash" && !strings.HasSuffix(m, "hmac") {
		m += "hmac"
	}
	keys, err := rawKeys(o.Secrets)
	return &vonageSMS{method: m, hash: h, keys: keys, tolerance: cmp.Or(o.Tolerance, 5*time.Minute)}, err
}

// Verify implements Provider.
func (v *vonageSMS) Verify(r *Request) error {
	params, f := vonageParams(r)
	if f != nil {
		return f
	}
	sigText, ok := params["sig"]
	if !ok {
		return &Failure{Reason: "missing sig parameter"}
	}
	delete(params, "sig")
	sig := make([]byte, v.hash.Size())
	if !hexEncoding.decode(sig, sigText) {
		return &Failure{Reason: "malformed sig parameter"}
	}
	ts, ok := params["timestamp"]
	if !ok {
		return &Failure{Reason: "missing timestamp parameter"}
	}
	if f := checkTime(ts, unixSeconds, "timestamp", r.Now, v.tolerance); f != nil {
		if f.Reason != "timestamp outside tolerance" {
			f.Reason = "malformed timestamp parameter"
		}
		return f
	}
	text := vonageString(params)
	for _, key := range v.keys {
		if hmac.Equal(v.sum(key, text), sig) {
			return nil
		}
	}
	return &Failure{Reason: "signature mismatch"}
}

func (v *vonageSMS) sum(key []byte, text string) []byte {
	var h hash.Hash
	if v.method == "md5hash" {
		h = md5.New()
		h.Write([]byte(text))
		h.Write(key)
		return h.Sum(nil)
	}
	h = hmac.New(v.hash.New, key)
	h.Write([]byte(text))
	return h.Sum(nil)
}

// vonageString writes the parameters as Vonage signs them.
func vonageString(params map[string]string) string {
	var b strings.Builder
	clean := strings.NewReplacer("&", "_", "=", "_")
	for _, k := range slices.Sorted(maps.Keys(params)) {
		b.WriteString("&" + k + "=" + clean.Replace(params[k]))
	}
	return b.String()
}

// vonageParams reads the parameters of a GET's query, a form or a JSON
// object. A name given twice is refused: which value was signed is unclear.
func vonageParams(r *Request) (map[string]string, *Failure) {
	var q url.Values
	var err error
	switch {
	case r.Method == http.MethodGet:
		if r.URL != nil {
			q, err = url.ParseQuery(r.URL.RawQuery)
		}
	case isJSON(r.Header):
		return jsonParams(r.Body)
	default:
		q, err = url.ParseQuery(string(r.Body))
	}
	if err != nil {
		return nil, &Failure{Reason: "malformed parameters"}
	}
	params := make(map[string]string, len(q))
	for k, vs := range q {
		if len(vs) > 1 {
			return nil, &Failure{Reason: "parameter " + k + " given twice"}
		}
		params[k] = vs[0]
	}
	return params, nil
}

// jsonParams reads a JSON object of strings and numbers.
func jsonParams(body []byte) (map[string]string, *Failure) {
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil {
		return nil, &Failure{Reason: "malformed parameters"}
	}
	params := make(map[string]string, len(raw))
	for k, v := range raw {
		params[k] = scalar(v, true)
	}
	return params, nil
}

func isJSON(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// Sign implements Signer: it adds timestamp (r.Now) when missing, then sig,
// to the query of a GET or the form body of a POST, which it re-encodes.
func (v *vonageSMS) Sign(r *Request) error {
	if isJSON(r.Header) {
		return errors.New("vonage-sms: sign: JSON bodies are not supported; send a form or a GET")
	}
	params, f := vonageParams(r)
	if f != nil {
		return errors.New("vonage-sms: sign: " + f.Reason)
	}
	delete(params, "sig")
	if _, ok := params["timestamp"]; !ok {
		params["timestamp"] = unixSeconds.format(r.Now)
	}
	q := url.Values{}
	for k, val := range params {
		q.Set(k, val)
	}
	q.Set("sig", strings.ToUpper(hex.EncodeToString(v.sum(v.keys[0], vonageString(params)))))
	if r.Method == http.MethodGet {
		u := url.URL{}
		if r.URL != nil {
			u = *r.URL
		}
		u.RawQuery = q.Encode()
		r.URL = &u
		return nil
	}
	r.Body = []byte(q.Encode())
	return nil
}

// vonageSMSID is the message id, with the status for delivery receipts (a
// message has several).
func vonageSMSID() field {
	return fromFunc("`messageId`, and `status` for delivery receipts", func(r *Request) string {
		params, f := vonageParams(r)
		if f != nil || params["messageId"] == "" {
			return ""
		}
		if s := params["status"]; s != "" {
			return params["messageId"] + "/" + s
		}
		return params["messageId"]
	})
}

// vonageSMSType is a delivery receipt's status, or an inbound message's
// type (text, unicode, binary).
func vonageSMSType() field {
	return fromFunc("parameter `status` (delivery receipts) or `type` (inbound messages)", func(r *Request) string {
		params, _ := vonageParams(r)
		return cmp.Or(params["status"], params["type"])
	})
}

// Identify implements Provider.
func (v *vonageSMS) Identify(r *Request) Identity {
	return identify(r, vonageSMSID(), vonageSMSType())
}

// Challenge implements Provider: there is no handshake.
func (v *vonageSMS) Challenge(*Request) (*Response, bool) { return nil, false }

// Allows implements MethodAllower: the number's webhook may use GET.
func (v *vonageSMS) Allows(method string) bool {
	return method == http.MethodPost || method == http.MethodGet
}
