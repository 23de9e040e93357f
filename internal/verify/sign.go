package verify

import (
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"net/http"
	"strconv"
)

// sum appends to dst the MAC under key of what the scheme signs.
func (s *scheme) sum(dst, key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(s.hash.New, key)
	if s.signs != signsBody {
		// One Write, not four string conversions.
		head := make([]byte, 0, len(id)+len(ts)+2*len(s.sep))
		if s.signs == signsIDTimestampBody {
			head = append(append(head, id...), s.sep...)
		}
		m.Write(append(append(head, ts...), s.sep...))
	}
	m.Write(body)
	return m.Sum(dst)
}

// format writes mac as the signature header does.
func (s *scheme) format(mac []byte) string {
	return s.prefix + s.encoding.encode(mac)
}

// Sign implements Signer with the first secret. It keeps an id header that
// r already has (so a sender's stable id is the one signed) and makes one up
// otherwise; the timestamp is r.Now.
func (s *scheme) Sign(r *Request) error {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	var id, ts string
	if s.signs == signsIDTimestampBody {
		id = r.Header.Get(s.idHeader)
		if id == "" {
			id = "msg_" + rand.Text()
			r.Header.Set(s.idHeader, id)
		}
	}
	if s.signs != signsBody {
		if r.Now.IsZero() {
			return errors.New(s.name + ": sign: Request.Now is not set")
		}
		ts = strconv.FormatInt(r.Now.Unix(), 10)
		r.Header.Set(s.timestampHeader, ts)
	}
	r.Header.Set(s.header, s.format(s.sum(nil, s.keys[0], id, ts, r.Body)))
	return nil
}

// Identify implements Provider.
func (s *scheme) Identify(r *Request) Identity {
	var id Identity
	if s.deliveryIDHeader != "" {
		id.DeliveryID = r.Header.Get(s.deliveryIDHeader)
	}
	switch {
	case s.eventType != nil:
		id.Type = s.eventType(r.Body)
	case s.eventTypeHeader != "":
		id.Type = r.Header.Get(s.eventTypeHeader)
	}
	return id
}

// Challenge implements Provider.
func (s *scheme) Challenge(r *Request) (*Response, bool) {
	if s.challenge == nil {
		return nil, false
	}
	return s.challenge(s, r)
}
