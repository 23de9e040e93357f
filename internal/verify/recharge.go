package verify

import (
	"crypto"
	"net/http"
	"time"
)

// recharge is Recharge's two signatures, both sent on every delivery: the
// timestamped X-Recharge-Webhook-Signature "t=<unix>,v1=<hex HMAC-SHA256
// of t.body>" (48 hours), and the legacy X-Recharge-Hmac-Sha256, a plain
// SHA-256 of secret + body despite its name. The timestamped one is checked
// when present, with no fallback; the legacy one otherwise.
type recharge struct {
	timed, legacy *scheme
}

func rechargePreset() preset {
	timed, legacy := rechargeRows()
	return preset{name: "recharge", doc: "https://docs.getrecharge.com/docs/webhooks-overview#validating-webhooks", about: about{
		scheme: "`X-Recharge-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of {timestamp}.{body}>` within 48h when present; " +
			"otherwise the legacy `X-Recharge-Hmac-Sha256`: hex plain SHA256 of secret + body (not an HMAC, no timestamp)",
		eventType: timed.eventType, tolerance: timed.tolerance, headers: []string{timed.header, legacy.header},
	}, custom: func(o Options) (provider, error) {
		t, l := rechargeRows()
		t.name, l.name = "recharge", "recharge"
		if err := t.configure(o); err != nil {
			return nil, err
		}
		o.Tolerance = 0
		return &recharge{timed: t, legacy: l}, l.configure(o)
	}}
}

func rechargeRows() (timed, legacy *scheme) {
	topic := fromHeader("X-Recharge-Topic")
	return &scheme{
			header: "X-Recharge-Webhook-Signature", hash: crypto.SHA256, prefix: "v1=", listSep: ",", tsField: "t=",
			signs: "{timestamp}.{body}", tolerance: 48 * time.Hour, eventType: topic,
		}, &scheme{
			header: "X-Recharge-Hmac-Sha256", hash: crypto.SHA256, mac: keyThenMessage, signs: "{body}", eventType: topic,
		}
}

// Verify implements Provider.
func (rc *recharge) Verify(r *Request) error {
	if len(r.Header[http.CanonicalHeaderKey(rc.timed.header)]) > 0 {
		return rc.timed.Verify(r)
	}
	if len(r.Header[http.CanonicalHeaderKey(rc.legacy.header)]) > 0 {
		return rc.legacy.Verify(r)
	}
	return &Failure{Reason: "missing " + rc.timed.header + " header"}
}

// Sign implements Signer: both headers, as Recharge sends them.
func (rc *recharge) Sign(r *Request) error {
	if err := rc.legacy.Sign(r); err != nil {
		return err
	}
	return rc.timed.Sign(r)
}

// Identify implements Provider.
func (rc *recharge) Identify(r *Request) Identity { return rc.timed.Identify(r) }

// Challenge implements Provider: there is no handshake.
func (rc *recharge) Challenge(*Request) (*Response, bool) { return nil, false }
