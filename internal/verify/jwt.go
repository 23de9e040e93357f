package verify

import (
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// jwtHS256 is a body signed through an HS256 JSON Web Token whose claims
// carry the body's hex SHA-256: Vonage's signed webhooks (Messages,
// Voice) in Authorization: Bearer, with the claim payload_hash and a
// required iat; Netlify's X-Webhook-Signature, with the claims sha256 and
// iss "netlify". The token's own "alg" must be HS256: no other algorithm,
// and never "none", is accepted.
type jwtHS256 struct {
	name string
	// header carries the token, after prefix.
	header, prefix string
	// hashClaim holds the body's hex SHA-256.
	hashClaim string
	// issuer, when set, must be the iss claim.
	issuer string
	// iat says the iat claim is required and within tolerance.
	iat       bool
	tolerance time.Duration

	deliveryID, eventType field
	keys                  [][]byte
}

var _ provider = (*jwtHS256)(nil)

func jwtPresets() []preset {
	vonage := jwtHS256{
		header: "Authorization", prefix: "Bearer ", hashClaim: "payload_hash", iat: true, tolerance: 5 * time.Minute,
		deliveryID: fromFunc("the token's `jti` claim", jwtClaim("Authorization", "Bearer ", "jti")),
		eventType:  fromJSON("status").or(fromJSON("message_type")),
	}
	netlify := jwtHS256{
		header: "X-Webhook-Signature", hashClaim: "sha256", issuer: "netlify",
		eventType: fromHeader("X-Netlify-Event"),
	}
	return []preset{
		jwtPreset("vonage-jwt", "https://developer.vonage.com/en/getting-started/concepts/webhooks#decoding-signed-webhooks", vonage,
			"HS256 JWT in `Authorization: Bearer`, signed with the signature secret; claim `payload_hash` = hex SHA-256 of the body "+
				"(Vonage calls this check optional; hookgate enforces it); claim `iat` (unix seconds) within 5m (hookgate's policy: Vonage sets no exp)"),
		jwtPreset("netlify", "https://docs.netlify.com/site-deploys/deploy-notifications/#payload-signature", netlify,
			"HS256 JWT (JWS) in `X-Webhook-Signature`, signed with the token; claims `iss` = `netlify` and `sha256` = hex SHA-256 of the body; no timestamp"),
	}
}

func jwtPreset(name, doc string, j jwtHS256, summary string) preset {
	a := about{scheme: summary, deliveryID: j.deliveryID, eventType: j.eventType, headers: []string{j.header}}
	if j.iat {
		a.tolerance = j.tolerance
	}
	return preset{name: name, doc: doc, about: a, custom: func(o Options) (provider, error) {
		c := j
		c.name = name
		c.tolerance = cmp.Or(o.Tolerance, c.tolerance)
		keys, err := rawKeys(o.Secrets)
		c.keys = keys
		return &c, err
	}}
}

// Verify implements Provider.
func (j *jwtHS256) Verify(r *Request) error {
	v, f := single(r.Header, j.header, http.CanonicalHeaderKey(j.header))
	if f != nil {
		return f
	}
	tok, ok := strings.CutPrefix(v, j.prefix)
	if !ok {
		return &Failure{Reason: "malformed " + j.header + " header"}
	}
	claims, f := j.verifyToken(tok)
	if f != nil {
		return f
	}
	if j.issuer != "" && scalar(claims["iss"], false) != j.issuer {
		return &Failure{Reason: "iss claim is not " + j.issuer}
	}
	if j.iat {
		iat, ok := claims["iat"]
		if !ok {
			return &Failure{Reason: "missing iat claim"}
		}
		if f := checkTime(scalar(iat, true), unixSeconds, "iat", r.Now, j.tolerance); f != nil {
			if f.Reason != "timestamp outside tolerance" {
				f.Reason = "malformed iat claim"
			}
			return f
		}
	}
	sum := sha256.Sum256(r.Body)
	got, err := hex.DecodeString(scalar(claims[j.hashClaim], false))
	if err != nil || !hmac.Equal(got, sum[:]) {
		return &Failure{Reason: j.hashClaim + " claim does not match the body"}
	}
	return nil
}

// verifyToken checks an HS256 token's signature under any key and returns
// its claims.
func (j *jwtHS256) verifyToken(tok string) (map[string]json.RawMessage, *Failure) {
	malformed := &Failure{Reason: "malformed token in " + j.header + " header"}
	head, rest, ok1 := strings.Cut(tok, ".")
	payload, sig64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 {
		return nil, malformed
	}
	var header struct {
		Alg string `json:"alg"`
	}
	hb, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil || json.Unmarshal(hb, &header) != nil {
		return nil, malformed
	}
	if header.Alg != "HS256" {
		return nil, &Failure{Reason: "token algorithm is not HS256"}
	}
	var sig [sha256.Size]byte
	if !base64URLEncoding.decode(sig[:], sig64) {
		return nil, malformed
	}
	signed := tok[:len(head)+1+len(payload)]
	verified := false
	for _, key := range j.keys {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(signed))
		verified = verified || hmac.Equal(m.Sum(nil), sig[:])
	}
	if !verified {
		return nil, &Failure{Reason: "signature mismatch"}
	}
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, malformed
	}
	return claims, nil
}

func decodeClaims(payload string) (map[string]json.RawMessage, error) {
	pb, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, err
	}
	var claims map[string]json.RawMessage
	return claims, json.Unmarshal(pb, &claims)
}

// jwtClaim reads a claim of the token in header, without verifying it (the
// request was verified before it is identified).
func jwtClaim(header, prefix, claim string) func(r *Request) string {
	return func(r *Request) string {
		tok, _ := strings.CutPrefix(r.Header.Get(header), prefix)
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			return ""
		}
		claims, err := decodeClaims(parts[1])
		if err != nil {
			return ""
		}
		return scalar(claims[claim], true)
	}
}

// Sign implements Signer: an HS256 token over the body's hash, issued at
// r.Now.
func (j *jwtHS256) Sign(r *Request) error {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	sum := sha256.Sum256(r.Body)
	claims := map[string]any{j.hashClaim: hex.EncodeToString(sum[:])}
	if j.issuer != "" {
		claims["iss"] = j.issuer
	}
	if j.iat {
		if r.Now.IsZero() {
			return errors.New(j.name + ": sign: Request.Now is not set")
		}
		claims["iat"] = json.Number(strconv.FormatInt(r.Now.Unix(), 10))
		claims["jti"] = rand.Text()
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return err
	}
	signed := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString(payload)
	m := hmac.New(sha256.New, j.keys[0])
	m.Write([]byte(signed))
	r.Header.Set(j.header, j.prefix+signed+"."+base64.RawURLEncoding.EncodeToString(m.Sum(nil)))
	return nil
}

// Identify implements Provider.
func (j *jwtHS256) Identify(r *Request) Identity { return identify(r, j.deliveryID, j.eventType) }

// Challenge implements Provider: there is no handshake.
func (j *jwtHS256) Challenge(*Request) (*Response, bool) { return nil, false }
