package verify

import (
	"cmp"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"time"
)

// sendgrid is SendGrid's signed Event Webhook: an ECDSA P-256 signature
// (SHA-256, ASN.1 DER, base64) over the timestamp header followed by the
// raw body, which ends with CRLF. The verification key is the base64 DER
// public key the dashboard shows. SendGrid documents no window: 5 minutes
// is hookgate's policy.
type sendgrid struct {
	tolerance time.Duration
	pub       *ecdsa.PublicKey
	priv      *ecdsa.PrivateKey // signs; nil on a verifier without a secret
}

var _ provider = (*sendgrid)(nil)

const (
	sendgridHeader   = "X-Twilio-Email-Event-Webhook-Signature"
	sendgridTSHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

func sendgridPreset() preset {
	return preset{name: "sendgrid", doc: "https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features", about: about{
		scheme: "ECDSA P-256 / SHA-256 of `{timestamp}{body}` with public_key (base64 DER), base64 DER in `" + sendgridHeader +
			"`; timestamp `" + sendgridTSHeader + "` (unix seconds), within 5m (hookgate's policy)",
		eventType: fromJSON("0", "event"), tolerance: 5 * time.Minute,
		headers: []string{sendgridHeader, sendgridTSHeader}, options: usesPublicKey, secret: secretPrivateKey,
	}, custom: func(o Options) (provider, error) {
		if o.PublicKey == "" {
			return nil, errors.New("public_key is required (the verification key the Event Webhook settings show)")
		}
		pub, err := ecdsaPublic(o.PublicKey)
		if err != nil {
			return nil, errors.New("public_key " + err.Error())
		}
		if err := privateMatches(o.Secrets, pub, ecdsaSigner); err != nil {
			return nil, err
		}
		s := &sendgrid{tolerance: cmp.Or(o.Tolerance, 5*time.Minute), pub: pub}
		if len(o.Secrets) > 0 {
			s.priv, _ = ecdsaPrivate(o.Secrets[0])
		}
		return s, nil
	}, signer: func(o Options) (Signer, error) {
		priv, err := ecdsaSecret(o.Secrets)
		if err != nil {
			return nil, err
		}
		return &sendgrid{priv: priv, pub: &priv.PublicKey}, nil
	}}
}

func ecdsaSigner(s string) (crypto.Signer, error) { return ecdsaPrivate(s) }

// ecdsaSecret reads the private key a signer is given as its secret.
func ecdsaSecret(secrets []string) (*ecdsa.PrivateKey, error) {
	if len(secrets) == 0 {
		return nil, errors.New("signing needs the ECDSA private key as the secret")
	}
	priv, err := ecdsaPrivate(secrets[0])
	if err != nil {
		return nil, errors.New("secret " + err.Error())
	}
	return priv, nil
}

// Verify implements Provider.
func (s *sendgrid) Verify(r *Request) error {
	v, f := single(r.Header, sendgridHeader, http.CanonicalHeaderKey(sendgridHeader))
	if f != nil {
		return f
	}
	sig, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(sig) > 80 {
		return &Failure{Reason: "malformed " + sendgridHeader + " header"}
	}
	ts, f := single(r.Header, sendgridTSHeader, http.CanonicalHeaderKey(sendgridTSHeader))
	if f != nil {
		return f
	}
	if f := checkTime(ts, unixSeconds, sendgridTSHeader, r.Now, s.tolerance); f != nil {
		return f
	}
	if !ecdsa.VerifyASN1(s.pub, s.digest(ts, r.Body), sig) {
		return &Failure{Reason: "signature mismatch"}
	}
	return nil
}

func (s *sendgrid) digest(ts string, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(ts))
	h.Write(body)
	return h.Sum(nil)
}

// Sign implements Signer with the private key.
func (s *sendgrid) Sign(r *Request) error {
	if s.priv == nil {
		return errors.New("sendgrid: sign: signing needs the ECDSA private key as the secret")
	}
	if r.Now.IsZero() {
		return errors.New("sendgrid: sign: Request.Now is not set")
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	ts := unixSeconds.format(r.Now)
	sig, err := ecdsa.SignASN1(rand.Reader, s.priv, s.digest(ts, r.Body))
	if err != nil {
		return err
	}
	r.Header.Set(sendgridTSHeader, ts)
	r.Header.Set(sendgridHeader, base64.StdEncoding.EncodeToString(sig))
	return nil
}

// Identify implements Provider: a batch of events has no one id.
func (s *sendgrid) Identify(r *Request) Identity { return identify(r, field{}, fromJSON("0", "event")) }

// Challenge implements Provider: there is no handshake.
func (s *sendgrid) Challenge(*Request) (*Response, bool) { return nil, false }
