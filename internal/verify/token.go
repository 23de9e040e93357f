package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// token is a scheme with no signature: the sender presents a shared token
// (GitLab's X-Gitlab-Token, Telegram's secret token, a Bearer token), which
// is compared in constant time with each configured secret, as SHA-256
// digests so that its length does not show either. Nothing of the body is
// covered.
type token struct {
	name string
	// header carries the token after prefix; when empty, the query
	// parameter param does.
	header, prefix, param string
	// valid checks a configured secret; nil accepts any.
	valid func(secret string) error

	deliveryID, eventType field
	challenge             func(t *token, r *Request) (*Response, bool)

	digests [][sha256.Size]byte
	first   string // signs
}

var _ provider = (*token)(nil)

// tokenPreset makes a preset of t; handshake describes t.challenge.
func tokenPreset(name, doc string, t token, handshake string) preset {
	where := fmt.Sprintf("header `%s: %s<secret>`", t.header, t.prefix)
	headers := []string{t.header}
	if t.header == "" {
		where, headers = fmt.Sprintf("query parameter `%s=<secret>`", t.param), nil
	}
	return preset{name: name, doc: doc, about: about{
		scheme:    "no signature: a shared token in " + where + ", compared in constant time; the body is not covered",
		handshake: handshake, deliveryID: t.deliveryID, eventType: t.eventType,
		integrity: noIntegrity, headers: headers,
	}, custom: func(o Options) (provider, error) {
		c := t
		c.name = name
		return &c, c.configure(o.Secrets)
	}}
}

func (t *token) configure(secrets []string) error {
	if len(secrets) == 0 {
		return errors.New("a secret is required (the token it sends)")
	}
	for i, s := range secrets {
		err := error(nil)
		switch {
		case s == "":
			err = errors.New("is empty")
		case t.valid != nil:
			err = t.valid(s)
		}
		if err != nil {
			if len(secrets) > 1 {
				return fmt.Errorf("secret %d of %d %w", i+1, len(secrets), err)
			}
			return fmt.Errorf("secret %w", err)
		}
		t.digests = append(t.digests, sha256.Sum256([]byte(s)))
	}
	t.first = secrets[0]
	return nil
}

// Verify implements Provider.
func (t *token) Verify(r *Request) error {
	got, f := t.presented(r)
	if f != nil {
		return f
	}
	d := sha256.Sum256([]byte(got))
	for _, want := range t.digests {
		if hmac.Equal(d[:], want[:]) {
			return nil
		}
	}
	return &Failure{Reason: "token mismatch"}
}

// presented returns the token r carries.
func (t *token) presented(r *Request) (string, *Failure) {
	if t.header == "" {
		var values []string
		if r.URL != nil {
			values = r.URL.Query()[t.param]
		}
		switch len(values) {
		case 0:
			return "", &Failure{Reason: "missing " + t.param + " query parameter"}
		case 1:
			return values[0], nil
		}
		return "", &Failure{Reason: "multiple " + t.param + " query parameters"}
	}
	v, f := single(r.Header, t.header, http.CanonicalHeaderKey(t.header))
	if f != nil {
		return "", f
	}
	v, ok := strings.CutPrefix(v, t.prefix)
	if !ok {
		return "", &Failure{Reason: "malformed " + t.header + " header"}
	}
	return v, nil
}

// Sign implements Signer: it presents the first secret.
func (t *token) Sign(r *Request) error {
	if t.header != "" {
		if r.Header == nil {
			r.Header = http.Header{}
		}
		r.Header.Set(t.header, t.prefix+t.first)
		return nil
	}
	u := url.URL{}
	if r.URL != nil {
		u = *r.URL
	}
	q := u.Query()
	q.Set(t.param, t.first)
	u.RawQuery = q.Encode()
	r.URL = &u
	return nil
}

// Identify implements Provider.
func (t *token) Identify(r *Request) Identity { return identify(r, t.deliveryID, t.eventType) }

// Challenge implements Provider.
func (t *token) Challenge(r *Request) (*Response, bool) {
	if t.challenge == nil {
		return nil, false
	}
	return t.challenge(t, r)
}
