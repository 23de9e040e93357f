package verify

import (
	"crypto/rand"
	"errors"
	"net/http"
	"slices"
)

// Sign implements Signer with the first secret. It keeps an id header that
// r already has (so a sender's stable id is the one signed) and makes one up
// otherwise; the timestamp is r.Now.
func (s *scheme) Sign(r *Request) error {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	m := message{method: r.Method, body: r.Body}
	if s.idHeader != "" {
		m.id = r.Header.Get(s.idHeader)
		if m.id == "" {
			m.id = "msg_" + rand.Text()
			r.Header.Set(s.idHeader, m.id)
		}
	}
	if s.timestamped() {
		if r.Now.IsZero() {
			return errors.New(s.name + ": sign: Request.Now is not set")
		}
		m.ts = s.timestampFormat.format(r.Now)
		if s.timestampHeader != "" {
			r.Header.Set(s.timestampHeader, m.ts)
		}
	}
	var f *Failure
	if s.uses(urlPart) {
		if m.url, f = requestURL(s.publicURL, r); f != nil {
			return errors.New(s.name + ": sign: " + f.Reason)
		}
		m.url = decodeEscapes(m.url, s.decodeEscapes)
	}
	if s.uses(endpointPart) {
		if m.endpoint, f = endpoint(s.publicURL, r); f != nil {
			return errors.New(s.name + ": sign: " + f.Reason)
		}
	}
	sig := s.prefix + s.encoding.encode(s.sum(nil, s.keys[0], m))
	if s.tsField != "" {
		sig = s.tsField + m.ts + s.listSep + sig
	}
	r.Header.Set(s.header, sig)
	return nil
}

// Identify implements Provider.
func (s *scheme) Identify(r *Request) Identity {
	return identify(r, s.deliveryID, s.eventType)
}

// Challenge implements Provider.
func (s *scheme) Challenge(r *Request) (*Response, bool) {
	if s.challenge == nil {
		return nil, false
	}
	return s.challenge(s, r)
}

// Allows implements MethodAllower.
func (s *scheme) Allows(method string) bool {
	return method == http.MethodPost || slices.Contains(s.methods, method)
}
