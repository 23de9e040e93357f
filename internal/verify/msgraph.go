package verify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// msgraph is Microsoft Graph change (and lifecycle) notifications, which
// are not signed: each notification in the body's "value" carries the
// clientState given when the subscription was created, compared here in
// constant time with each secret. Rich notifications' validationTokens are
// not checked. A subscription is validated by a POST with an empty body and
// ?validationToken=, answered with the decoded token as text/plain.
type msgraph struct {
	digests [][sha256.Size]byte
	first   string
}

var (
	_ provider = (*msgraph)(nil)
	_ Acker    = (*msgraph)(nil)
)

func msgraphPreset() preset {
	return preset{name: "msgraph", doc: "https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks", about: about{
		scheme:    "no signature: every notification in the body's `value` must carry `clientState` equal to the secret; the rest of the body is not covered",
		handshake: "POST `?validationToken=` with an empty body: 200 text/plain with the decoded token; stored notifications are answered 202, as Graph asks",
		eventType: msgraphType(),
		integrity: noIntegrity,
	}, custom: func(o Options) (provider, error) {
		if len(o.Secrets) == 0 {
			return nil, errors.New("a secret is required (the subscription's clientState)")
		}
		g := &msgraph{first: o.Secrets[0]}
		for i, s := range o.Secrets {
			if s == "" || len(s) > 128 {
				return nil, fmt.Errorf("secret %d is not a clientState (1 to 128 characters)", i+1)
			}
			g.digests = append(g.digests, sha256.Sum256([]byte(s)))
		}
		return g, nil
	}}
}

// Verify implements Provider.
func (g *msgraph) Verify(r *Request) error {
	var body struct {
		Value []struct {
			ClientState *string `json:"clientState"`
		} `json:"value"`
	}
	if json.Unmarshal(r.Body, &body) != nil || len(body.Value) == 0 {
		return &Failure{Reason: "body is not a change notification"}
	}
	for _, n := range body.Value {
		if n.ClientState == nil {
			return &Failure{Reason: "missing clientState"}
		}
		if !g.matches(*n.ClientState) {
			return &Failure{Reason: "clientState mismatch"}
		}
	}
	return nil
}

func (g *msgraph) matches(state string) bool {
	d := sha256.Sum256([]byte(state))
	for _, want := range g.digests {
		if hmac.Equal(d[:], want[:]) {
			return true
		}
	}
	return false
}

// Sign implements Signer: it sets clientState on every notification of a
// {"value":[...]} body, which it re-encodes.
func (g *msgraph) Sign(r *Request) error {
	var body map[string]json.RawMessage
	var value []map[string]json.RawMessage
	if json.Unmarshal(r.Body, &body) != nil || json.Unmarshal(body["value"], &value) != nil || len(value) == 0 {
		return errors.New(`msgraph: sign: the body must be a change notification, {"value":[{...}]}`)
	}
	state, _ := json.Marshal(g.first)
	for _, n := range value {
		n["clientState"] = state
	}
	v, err := json.Marshal(value)
	if err != nil {
		return err
	}
	body["value"] = v
	out, err := json.Marshal(body)
	r.Body = out
	return err
}

func msgraphType() field {
	return fromJSON("value", "0", "changeType").or(fromJSON("value", "0", "lifecycleEvent"))
}

// Identify implements Provider.
func (g *msgraph) Identify(r *Request) Identity { return identify(r, field{}, msgraphType()) }

// Ack implements Acker: Graph expects 202 Accepted.
func (g *msgraph) Ack(*Request) *Response { return emptyResponse(http.StatusAccepted) }

// Challenge implements Provider: the validation request.
func (g *msgraph) Challenge(r *Request) (*Response, bool) {
	token := query(r, "validationToken")
	if r.Method != http.MethodPost || token == "" || len(bytes.TrimSpace(r.Body)) > 0 {
		return nil, false
	}
	return textResponse(http.StatusOK, token), true
}
