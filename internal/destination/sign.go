package destination

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/internal/verify"
)

// Headers of the Standard Webhooks signature, set on forwarded requests when
// the destination has a secret. Webhook-Id (HeaderWebhookID) is the third.
const (
	HeaderWebhookTimestamp = "Webhook-Timestamp"
	HeaderWebhookSignature = "Webhook-Signature"
)

// webhookSigner signs forwarded requests with the Standard Webhooks scheme:
// HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}", sent as
// "webhook-signature: v1,<base64>". The receiving service verifies it with
// any Standard Webhooks library (or hookgate's own standardwebhooks
// provider) and the same secret.
type webhookSigner struct {
	s   verify.Signer
	now func() time.Time
}

// newWebhookSigner returns a signer for secret ("whsec_" and base64, the
// prefix optional, as Standard Webhooks secrets are written), or nil when
// secret is empty.
func newWebhookSigner(secret string, now func() time.Time) (*webhookSigner, error) {
	if secret == "" {
		return nil, nil
	}
	s, err := verify.NewSigner("standardwebhooks", verify.Options{Secrets: []string{secret}})
	if err != nil {
		// verify's errors never quote the secret.
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &webhookSigner{s: s, now: now}, nil
}

// sign sets Webhook-Timestamp and Webhook-Signature on req, over the body
// req will send and the Webhook-Id it already carries. It reads the body
// through req.GetBody, so it signs whatever body the request was built with.
// A nil signer does nothing.
func (w *webhookSigner) sign(req *http.Request) error {
	if w == nil {
		return nil
	}
	var body []byte
	switch {
	case req.GetBody == nil && req.Body != nil && req.Body != http.NoBody:
		return errors.New("sign: the request body cannot be read twice (build it from bytes)")
	case req.GetBody != nil:
		rc, err := req.GetBody()
		if err != nil {
			return fmt.Errorf("sign: read body: %w", err)
		}
		body, err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("sign: read body: %w", err)
		}
	}
	r := &verify.Request{Method: req.Method, URL: req.URL, Host: req.Host, Header: req.Header, Body: body, Now: w.now()}
	if err := w.s.Sign(r); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	return nil
}
