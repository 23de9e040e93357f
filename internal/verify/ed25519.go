package verify

import (
	"cmp"
	"crypto"
	"crypto/ed25519"
	"errors"
	"net/http"
	"time"
)

// edScheme is an Ed25519 signature over timestamp + sep + body, verified
// with the provider's public key: Discord (hex signature, no separator)
// and Telnyx (base64 signature, "|"). Neither documents a window: 5
// minutes is hookgate's policy.
type edScheme struct {
	name             string
	header, tsHeader string
	encoding         encoding
	sep              string
	tolerance        time.Duration

	deliveryID, eventType field
	challenge             func(e *edScheme, r *Request) (*Response, bool)
	ack                   func(r *Request) *Response

	pub  ed25519.PublicKey
	priv ed25519.PrivateKey // signs; nil on a verifier without a secret
}

var (
	_ provider = (*edScheme)(nil)
	_ Acker    = (*edScheme)(nil)
)

// edPreset makes a preset of e; summary and handshake describe it.
func edPreset(name, doc string, e edScheme, summary, handshake string) preset {
	return preset{name: name, doc: doc, about: about{
		scheme: summary, handshake: handshake, deliveryID: e.deliveryID, eventType: e.eventType,
		tolerance: e.tolerance, headers: []string{e.header, e.tsHeader}, options: usesPublicKey, secret: secretPrivateKey,
	}, custom: func(o Options) (provider, error) {
		c := e
		c.name = name
		c.tolerance = cmp.Or(o.Tolerance, c.tolerance)
		if o.PublicKey == "" {
			return nil, errors.New("public_key is required (the provider's Ed25519 public key)")
		}
		pub, err := ed25519Public(o.PublicKey)
		if err != nil {
			return nil, errors.New("public_key " + err.Error())
		}
		c.pub = pub
		if err := privateMatches(o.Secrets, pub, edSigner); err != nil {
			return nil, err
		}
		if len(o.Secrets) > 0 {
			c.priv, _ = ed25519Private(o.Secrets[0])
		}
		return &c, nil
	}, signer: func(o Options) (Signer, error) {
		if len(o.Secrets) == 0 {
			return nil, errors.New("signing needs the Ed25519 private key as the secret")
		}
		priv, err := ed25519Private(o.Secrets[0])
		if err != nil {
			return nil, errors.New("secret " + err.Error())
		}
		c := e
		c.name, c.priv, c.pub = name, priv, priv.Public().(ed25519.PublicKey)
		return &c, nil
	}}
}

func edSigner(s string) (crypto.Signer, error) { return ed25519Private(s) }

// Verify implements Provider.
func (e *edScheme) Verify(r *Request) error {
	v, f := single(r.Header, e.header, http.CanonicalHeaderKey(e.header))
	if f != nil {
		return f
	}
	var sig [ed25519.SignatureSize]byte
	if !e.encoding.decode(sig[:], v) {
		return &Failure{Reason: "malformed " + e.header + " header"}
	}
	ts, f := single(r.Header, e.tsHeader, http.CanonicalHeaderKey(e.tsHeader))
	if f != nil {
		return f
	}
	if f := checkTime(ts, unixSeconds, e.tsHeader, r.Now, e.tolerance); f != nil {
		return f
	}
	if !ed25519.Verify(e.pub, e.message(ts, r.Body), sig[:]) {
		return &Failure{Reason: "signature mismatch"}
	}
	return nil
}

func (e *edScheme) message(ts string, body []byte) []byte {
	m := make([]byte, 0, len(ts)+len(e.sep)+len(body))
	return append(append(append(m, ts...), e.sep...), body...)
}

// Sign implements Signer with the private key.
func (e *edScheme) Sign(r *Request) error {
	if e.priv == nil {
		return errors.New(e.name + ": sign: signing needs the Ed25519 private key as the secret")
	}
	if r.Now.IsZero() {
		return errors.New(e.name + ": sign: Request.Now is not set")
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	ts := unixSeconds.format(r.Now)
	r.Header.Set(e.tsHeader, ts)
	r.Header.Set(e.header, e.encoding.encode(ed25519.Sign(e.priv, e.message(ts, r.Body))))
	return nil
}

// Identify implements Provider.
func (e *edScheme) Identify(r *Request) Identity { return identify(r, e.deliveryID, e.eventType) }

// Challenge implements Provider.
func (e *edScheme) Challenge(r *Request) (*Response, bool) {
	if e.challenge == nil {
		return nil, false
	}
	return e.challenge(e, r)
}

// Ack implements Acker.
func (e *edScheme) Ack(r *Request) *Response {
	if e.ack == nil {
		return nil
	}
	return e.ack(r)
}

func edPresets() []preset {
	discord := func(name, doc, handshake string, challenge func(*edScheme, *Request) (*Response, bool), ack func(*Request) *Response, id, typ field) preset {
		return edPreset(name, doc, edScheme{
			header: "X-Signature-Ed25519", tsHeader: "X-Signature-Timestamp", encoding: hexEncoding, tolerance: 5 * time.Minute,
			deliveryID: id, eventType: typ, challenge: challenge, ack: ack,
		}, "Ed25519 of `{timestamp}{body}` with public_key (hex), hex in `X-Signature-Ed25519`; timestamp `X-Signature-Timestamp` "+
			"(unix seconds), within 5m (hookgate's policy: Discord documents none)", handshake)
	}
	return []preset{
		discord("discord", "https://discord.com/developers/docs/interactions/receiving-and-responding#security-and-authorization",
			"signed PING (`type` 1): once verified, 200 JSON `{\"type\":1}`; a bad signature gets 401. Stored interactions are answered "+
				"with a deferred response: `{\"type\":5}` for commands, `{\"type\":6}` for components and modals",
			discordPing, discordDefer, fromJSON("id"), fromJSONNumber("type")),
		discord("discord-events", "https://discord.com/developers/docs/events/webhook-events",
			"signed PING (`type` 0): once verified, 204; stored events are answered 204, as Discord requires",
			discordEventsPing, func(*Request) *Response { return emptyResponse(http.StatusNoContent) },
			field{}, fromJSON("event", "type")),
		edPreset("telnyx", "https://developers.telnyx.com/docs/messaging/webhooks", edScheme{
			header: "telnyx-signature-ed25519", tsHeader: "telnyx-timestamp", encoding: base64Encoding, sep: "|",
			tolerance: 5 * time.Minute, deliveryID: fromJSON("data", "id"), eventType: fromJSON("data", "event_type"),
		}, "Ed25519 of `{timestamp}|{body}` with public_key (base64), base64 in `telnyx-signature-ed25519`; timestamp `telnyx-timestamp` "+
			"(unix seconds), within 5m", ""),
	}
}

// discordPing answers an interactions PING once it verifies. A PING with a
// bad signature is left to Verify: Discord checks that it gets 401.
func discordPing(e *edScheme, r *Request) (*Response, bool) {
	if r.Method != http.MethodPost || jsonScalar(r.Body, true, "type") != "1" || e.Verify(r) != nil {
		return nil, false
	}
	return jsonResponse(http.StatusOK, map[string]int{"type": 1}), true
}

// discordEventsPing answers a webhook events PING (type 0) once it
// verifies.
func discordEventsPing(e *edScheme, r *Request) (*Response, bool) {
	if r.Method != http.MethodPost || jsonScalar(r.Body, true, "type") != "0" || e.Verify(r) != nil {
		return nil, false
	}
	return emptyResponse(http.StatusNoContent), true
}

// discordDefer answers a stored interaction with a deferred response, so
// that the application can answer later through the interaction webhook:
// Discord fails an interaction that gets no response within 3 seconds.
// Autocomplete (type 4) cannot be deferred and gets the usual answer.
func discordDefer(r *Request) *Response {
	switch jsonScalar(r.Body, true, "type") {
	case "2":
		return jsonResponse(http.StatusOK, map[string]int{"type": 5})
	case "3", "5":
		return jsonResponse(http.StatusOK, map[string]int{"type": 6})
	}
	return nil
}
