package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// ebay is eBay's notification API (marketplace account deletion and other
// topics). The endpoint is validated with a GET ?challenge_code=, answered
// with the hex SHA-256 of the code, the verification token and the endpoint
// URL (public_url without its query). Notifications carry X-EBAY-SIGNATURE,
// base64 of a JSON object {alg, kid, signature, digest}: an ECDSA signature
// (base64 DER) of the raw body under the digest it names, by the key eBay's
// getPublicKey returns for kid, configured here as public_key. There is no
// timestamp. eBay rotates keys rarely; a new kid needs the new public_key.
type ebay struct {
	token, publicURL string
	pub              *ecdsa.PublicKey
	priv             *ecdsa.PrivateKey
}

var _ provider = (*ebay)(nil)

const ebayHeader = "X-EBAY-SIGNATURE"

func ebayPreset() preset {
	return preset{name: "ebay", doc: "https://developer.ebay.com/marketplace-account-deletion", about: about{
		scheme: "ECDSA of `{body}` with public_key (the key getPublicKey returns for the notification's kid), in `X-EBAY-SIGNATURE`: " +
			"base64 JSON `{alg, kid, signature, digest}` (digest SHA1 or SHA256); no timestamp",
		handshake:  "GET `?challenge_code=`: 200 JSON `{\"challengeResponse\": hex SHA-256(challenge_code + verify_token + public_url)}`",
		deliveryID: fromJSON("notification", "notificationId"), eventType: fromJSON("metadata", "topic"),
		headers: []string{ebayHeader}, options: usesPublicKey | usesVerifyToken | usesPublicURL, secret: secretPrivateKey,
	}, custom: func(o Options) (provider, error) {
		if o.VerifyToken == "" {
			return nil, errors.New("verify_token is required (the verification token given to eBay for the endpoint)")
		}
		if o.PublicKey == "" {
			return nil, errors.New("public_key is required (the key eBay's getPublicKey returns)")
		}
		pub, err := ecdsaPublic(o.PublicKey)
		if err != nil {
			return nil, errors.New("public_key " + err.Error())
		}
		if err := privateMatches(o.Secrets, pub, ecdsaSigner); err != nil {
			return nil, err
		}
		e := &ebay{token: o.VerifyToken, publicURL: o.PublicURL, pub: pub}
		if len(o.Secrets) > 0 {
			e.priv, _ = ecdsaPrivate(o.Secrets[0])
		}
		return e, nil
	}, signer: func(o Options) (Signer, error) {
		priv, err := ecdsaSecret(o.Secrets)
		if err != nil {
			return nil, err
		}
		return &ebay{priv: priv, pub: &priv.PublicKey}, nil
	}}
}

type ebaySignature struct {
	Alg       string `json:"alg"`
	Kid       string `json:"kid"`
	Signature string `json:"signature"`
	Digest    string `json:"digest"`
}

// Verify implements Provider.
func (e *ebay) Verify(r *Request) error {
	v, f := single(r.Header, ebayHeader, http.CanonicalHeaderKey(ebayHeader))
	if f != nil {
		return f
	}
	malformed := &Failure{Reason: "malformed " + ebayHeader + " header"}
	raw, err := base64.StdEncoding.DecodeString(v)
	var s ebaySignature
	if err != nil || json.Unmarshal(raw, &s) != nil {
		return malformed
	}
	sig, err := base64.StdEncoding.DecodeString(s.Signature)
	h, ok := ebayDigest(s.Digest)
	if err != nil || !ok || !strings.EqualFold(s.Alg, "ecdsa") {
		return malformed
	}
	d := h.New()
	d.Write(r.Body)
	if !ecdsa.VerifyASN1(e.pub, d.Sum(nil), sig) {
		return &Failure{Reason: "signature mismatch"}
	}
	return nil
}

func ebayDigest(name string) (crypto.Hash, bool) {
	switch strings.ToUpper(name) {
	case "SHA1":
		return crypto.SHA1, true
	case "SHA256":
		return crypto.SHA256, true
	}
	return 0, false
}

// Sign implements Signer with the private key, as eBay does (SHA1).
func (e *ebay) Sign(r *Request) error {
	if e.priv == nil {
		return errors.New("ebay: sign: signing needs the ECDSA private key as the secret")
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	d := crypto.SHA1.New()
	d.Write(r.Body)
	sig, err := ecdsa.SignASN1(rand.Reader, e.priv, d.Sum(nil))
	if err != nil {
		return err
	}
	head, err := json.Marshal(ebaySignature{Alg: "ECDSA", Kid: "hookgate", Signature: base64.StdEncoding.EncodeToString(sig), Digest: "SHA1"})
	if err != nil {
		return err
	}
	r.Header.Set(ebayHeader, base64.StdEncoding.EncodeToString(head))
	return nil
}

// Identify implements Provider.
func (e *ebay) Identify(r *Request) Identity {
	return identify(r, fromJSON("notification", "notificationId"), fromJSON("metadata", "topic"))
}

// Challenge implements Provider: GET ?challenge_code=.
func (e *ebay) Challenge(r *Request) (*Response, bool) {
	if r.Method != http.MethodGet {
		return nil, false
	}
	code := query(r, "challenge_code")
	if code == "" {
		return textResponse(http.StatusBadRequest, "missing challenge_code"), true
	}
	ep, f := endpoint(e.publicURL, r)
	if f != nil {
		return textResponse(http.StatusInternalServerError, f.Reason), true
	}
	sum := sha256.Sum256([]byte(code + e.token + ep))
	return jsonResponse(http.StatusOK, map[string]string{"challengeResponse": hex.EncodeToString(sum[:])}), true
}
