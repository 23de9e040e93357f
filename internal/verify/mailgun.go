package verify

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// mailgun is Mailgun's webhook signature, which travels in the body: a
// JSON "signature" object {timestamp, token, signature}, or (legacy
// webhooks and routes) form or multipart fields of the same names. The
// signature is the hex HMAC-SHA256, under the webhook signing key, of
// timestamp + token: the event data is NOT covered. The token is the
// delivery id, so a replayed token is a duplicate; Mailgun documents no
// window for the timestamp: 5 minutes is hookgate's policy.
type mailgun struct {
	keys      [][]byte
	tolerance time.Duration
}

var _ provider = (*mailgun)(nil)

func mailgunPreset() preset {
	return preset{name: "mailgun", doc: "https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks", about: about{
		scheme: "hex HMAC-SHA256 of `{timestamp}{token}`, all three in the body: JSON `signature.timestamp`, `.token`, `.signature`, " +
			"or form/multipart fields `timestamp`, `token`, `signature`; the event data is not covered; within 5m (hookgate's policy)",
		deliveryID: mailgunID(), eventType: mailgunType(),
		tolerance: 5 * time.Minute, integrity: noIntegrity,
	}, custom: func(o Options) (provider, error) {
		keys, err := rawKeys(o.Secrets)
		return &mailgun{keys: keys, tolerance: cmp.Or(o.Tolerance, 5*time.Minute)}, err
	}}
}

type mailgunSignature struct {
	Timestamp string `json:"timestamp"`
	Token     string `json:"token"`
	Signature string `json:"signature"`
}

// Verify implements Provider.
func (m *mailgun) Verify(r *Request) error {
	s, f := readMailgun(r)
	if f != nil {
		return f
	}
	var sig [sha256.Size]byte
	if !hexEncoding.decode(sig[:], s.Signature) {
		return &Failure{Reason: "malformed signature"}
	}
	if s.Token == "" {
		return &Failure{Reason: "missing token"}
	}
	if f := checkTime(s.Timestamp, unixSeconds, "timestamp", r.Now, m.tolerance); f != nil {
		if f.Reason != "timestamp outside tolerance" {
			f.Reason = "malformed timestamp"
		}
		return f
	}
	for _, key := range m.keys {
		if hmac.Equal(mailgunMAC(key, s), sig[:]) {
			return nil
		}
	}
	return &Failure{Reason: "signature mismatch"}
}

func mailgunMAC(key []byte, s mailgunSignature) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(s.Timestamp + s.Token))
	return h.Sum(nil)
}

// readMailgun finds the signature fields of the body.
func readMailgun(r *Request) (mailgunSignature, *Failure) {
	var s mailgunSignature
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mt == "multipart/form-data":
		return readMultipart(r.Body, params["boundary"])
	case mt == "application/x-www-form-urlencoded":
		q, err := url.ParseQuery(string(r.Body))
		if err != nil {
			return s, &Failure{Reason: "malformed form body"}
		}
		s = mailgunSignature{q.Get("timestamp"), q.Get("token"), q.Get("signature")}
	default:
		v, ok := jsonAt(r.Body, "signature")
		if !ok || json.Unmarshal(v, &s) != nil {
			return s, &Failure{Reason: "missing signature object"}
		}
	}
	if s.Signature == "" {
		return s, &Failure{Reason: "missing signature"}
	}
	return s, nil
}

// readMultipart reads the three fields of a multipart body, none over 1KB.
func readMultipart(body []byte, boundary string) (mailgunSignature, *Failure) {
	var s mailgunSignature
	if boundary == "" {
		return s, &Failure{Reason: "malformed multipart body"}
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return s, &Failure{Reason: "malformed multipart body"}
		}
		var dst *string
		switch p.FormName() {
		case "timestamp":
			dst = &s.Timestamp
		case "token":
			dst = &s.Token
		case "signature":
			dst = &s.Signature
		default:
			continue
		}
		v, err := io.ReadAll(io.LimitReader(p, 1024))
		if err != nil {
			return s, &Failure{Reason: "malformed multipart body"}
		}
		*dst = string(v)
	}
	if s.Signature == "" {
		return s, &Failure{Reason: "missing signature"}
	}
	return s, nil
}

func mailgunToken(r *Request) string {
	s, f := readMailgun(r)
	if f != nil {
		return ""
	}
	return s.Token
}

// Sign implements Signer: it adds a signature with a new token at r.Now to
// the body, as the first key of a JSON object or as form fields.
func (m *mailgun) Sign(r *Request) error {
	if r.Now.IsZero() {
		return errors.New("mailgun: sign: Request.Now is not set")
	}
	s := mailgunSignature{Timestamp: unixSeconds.format(r.Now), Token: strings.ToLower(rand.Text())}
	s.Signature = hex.EncodeToString(mailgunMAC(m.keys[0], s))
	if r.Header == nil {
		r.Header = http.Header{}
	}
	if isForm(r.Header) {
		q, err := url.ParseQuery(string(r.Body))
		if err != nil {
			return errors.New("mailgun: sign: malformed form body")
		}
		q.Set("timestamp", s.Timestamp)
		q.Set("token", s.Token)
		q.Set("signature", s.Signature)
		r.Body = []byte(q.Encode())
		return nil
	}
	body := bytes.TrimLeft(r.Body, " \t\r\n")
	if len(body) == 0 || body[0] != '{' {
		return errors.New("mailgun: sign: the body must be a JSON object or a form")
	}
	obj, err := json.Marshal(s)
	if err != nil {
		return err
	}
	rest := bytes.TrimLeft(body[1:], " \t\r\n")
	out := append([]byte(`{"signature":`), obj...)
	if len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	r.Body = append(out, body[1:]...)
	return nil
}

func mailgunID() field {
	return fromFunc("the signature's `token` (so a replayed token is a duplicate)", mailgunToken)
}

func mailgunType() field { return fromJSON("event-data", "event").or(fromForm("event")) }

// Identify implements Provider.
func (m *mailgun) Identify(r *Request) Identity { return identify(r, mailgunID(), mailgunType()) }

// Challenge implements Provider: there is no handshake.
func (m *mailgun) Challenge(*Request) (*Response, bool) { return nil, false }
