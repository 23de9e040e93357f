package verify

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"time"
)

// linear is Linear's hex HMAC-SHA256 of the body in Linear-Signature; the
// freshness is the body's own webhookTimestamp (unix milliseconds), which
// must be within a minute (the Linear-Timestamp header is not signed).
type linear struct {
	*scheme
	tolerance time.Duration
}

func linearPreset() preset {
	row := linearRow()
	return preset{name: "linear", doc: "https://linear.app/developers/webhooks#securing-webhooks", about: about{
		scheme:     "HMAC-SHA256 of `{body}`, hex, in `Linear-Signature`; timestamp: the body's `webhookTimestamp` (unix milliseconds), within 1m",
		deliveryID: row.deliveryID, eventType: row.eventType, tolerance: time.Minute, headers: []string{row.header},
	}, custom: func(o Options) (provider, error) {
		s := linearRow()
		s.name = "linear"
		tol := o.Tolerance
		o.Tolerance = 0 // the row itself has no timestamp
		if err := s.configure(o); err != nil {
			return nil, err
		}
		if tol == 0 {
			tol = time.Minute
		}
		return &linear{scheme: s, tolerance: tol}, nil
	}}
}

func linearRow() *scheme {
	return &scheme{
		header: "Linear-Signature", hash: crypto.SHA256, signs: "{body}",
		deliveryID: fromHeader("Linear-Delivery"), eventType: fromHeader("Linear-Event"),
	}
}

// Verify implements Provider: the MAC, then the body's timestamp.
func (l *linear) Verify(r *Request) error {
	if err := l.scheme.Verify(r); err != nil {
		return err
	}
	ts, ok := jsonAt(r.Body, "webhookTimestamp")
	if !ok {
		return &Failure{Reason: "missing webhookTimestamp in the body"}
	}
	n := ""
	if t := bytes.TrimSpace(ts); len(t) > 0 && t[0] != '"' {
		n = scalar(t, true) // a number, not a string
	}
	if f := checkTime(n, unixMillis, "webhookTimestamp", r.Now, l.tolerance); f != nil {
		if f.Reason != "timestamp outside tolerance" {
			f.Reason = "malformed webhookTimestamp in the body"
		}
		return f
	}
	return nil
}

// Sign implements Signer: a JSON object body without webhookTimestamp gets
// one (r.Now) as its first key, then the body is signed.
func (l *linear) Sign(r *Request) error {
	if _, ok := jsonAt(r.Body, "webhookTimestamp"); !ok {
		body := bytes.TrimLeft(r.Body, " \t\r\n")
		if len(body) == 0 || body[0] != '{' {
			return errors.New("linear: sign: the body must be a JSON object")
		}
		if r.Now.IsZero() {
			return errors.New("linear: sign: Request.Now is not set")
		}
		out := fmt.Appendf(nil, `{"webhookTimestamp":%d`, r.Now.UnixMilli())
		if rest := bytes.TrimLeft(body[1:], " \t\r\n"); len(rest) > 0 && rest[0] != '}' {
			out = append(out, ',')
		}
		r.Body = append(out, body[1:]...)
	}
	return l.scheme.Sign(r)
}
