package verify

import "errors"

// capturing is a row for providers that issue the signing secret in their
// handshake (Asana's X-Hook-Secret, Notion's verification_token) rather
// than letting the operator choose it. With a secret configured, the
// handshake is answered and not stored, and events verify as the row says.
// Without one, the source is in capture mode: the handshake, unsigned by
// nature, is accepted and stored as an event (of type "handshake"), so that
// the operator can read the issued secret from it and configure it, and
// every other request is refused. Until then anyone who knows the URL can
// store a request shaped like a handshake.
type capturing struct {
	*scheme
	// handshake reports whether r is the provider's handshake.
	handshake func(r *Request) bool
	// answer is the handshake's answer.
	answer func(r *Request) *Response
}

var (
	_ provider = (*capturing)(nil)
	_ Acker    = (*capturing)(nil)
)

// capturePreset makes a preset of row; summary and handshake describe it.
func capturePreset(name, doc string, row func() *scheme, handshake func(*Request) bool, answer func(*Request) *Response, says string) preset {
	a := row().about()
	a.handshake = says
	a.secret = secretCaptured
	a.eventType = field{doc: "`handshake` for a captured handshake"}.or(a.eventType)
	return preset{name: name, doc: doc, about: a, custom: func(o Options) (provider, error) {
		s := row()
		s.name = name
		var err error
		if len(o.Secrets) == 0 {
			err = s.prepare(o)
		} else {
			err = s.configure(o)
		}
		return &capturing{scheme: s, handshake: handshake, answer: answer}, err
	}}
}

func (c *capturing) capture() bool { return len(c.keys) == 0 }

// Challenge implements Provider: with a secret, the handshake is answered.
func (c *capturing) Challenge(r *Request) (*Response, bool) {
	if c.capture() || !c.handshake(r) {
		return nil, false
	}
	return c.answer(r), true
}

// Verify implements Provider.
func (c *capturing) Verify(r *Request) error {
	switch {
	case !c.capture():
		return c.scheme.Verify(r)
	case c.handshake(r):
		return nil
	}
	return &Failure{Reason: "no secret configured yet: only the handshake is accepted, to capture the secret it issues"}
}

// Ack implements Acker: a captured handshake gets the handshake's answer.
func (c *capturing) Ack(r *Request) *Response {
	if c.capture() && c.handshake(r) {
		return c.answer(r)
	}
	return nil
}

// Identify implements Provider.
func (c *capturing) Identify(r *Request) Identity {
	if c.capture() && c.handshake(r) {
		return Identity{Type: "handshake"}
	}
	return c.scheme.Identify(r)
}

// Sign implements Signer.
func (c *capturing) Sign(r *Request) error {
	if c.capture() {
		return errors.New(c.name + ": sign: a secret is required")
	}
	return c.scheme.Sign(r)
}
