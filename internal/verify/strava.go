package verify

import (
	"errors"
	"net/http"
)

// strava is Strava's webhook events, which are not signed at all: the
// subscription handshake, a GET with hub.mode=subscribe, hub.verify_token
// and hub.challenge, is answered with {"hub.challenge": ...} as JSON when
// the token matches, and every POST is accepted. Anyone who knows the URL
// can post: keep the source name unguessable, or add auth.
type strava struct{ token string }

var _ provider = (*strava)(nil)

func stravaPreset() preset {
	return preset{name: "strava", doc: "https://developers.strava.com/docs/webhooks/", about: about{
		scheme:    "none: Strava does not sign events, so every POST is accepted",
		handshake: "GET `?hub.mode=subscribe&hub.verify_token=&hub.challenge=`: 200 JSON `{\"hub.challenge\": ...}` when hub.verify_token is verify_token, else 403",
		eventType: fromFunc("body `object_type` and `aspect_type`, as `activity.create`", stravaType),
		integrity: noIntegrity, options: usesVerifyToken, secret: secretNone,
	}, custom: func(o Options) (provider, error) {
		switch {
		case len(o.Secrets) > 0:
			return nil, errors.New("secret is set, but strava does not sign events")
		case o.VerifyToken == "":
			return nil, errors.New("verify_token is required (the token given when creating the subscription)")
		}
		return &strava{token: o.VerifyToken}, nil
	}}
}

func stravaType(r *Request) string {
	obj, aspect := jsonScalar(r.Body, false, "object_type"), jsonScalar(r.Body, false, "aspect_type")
	if obj == "" || aspect == "" {
		return ""
	}
	return obj + "." + aspect
}

// Verify implements Provider: there is nothing to verify.
func (s *strava) Verify(*Request) error { return nil }

// Sign implements Signer: there is nothing to sign.
func (s *strava) Sign(*Request) error { return nil }

// Identify implements Provider.
func (s *strava) Identify(r *Request) Identity { return Identity{Type: stravaType(r)} }

// Challenge implements Provider.
func (s *strava) Challenge(r *Request) (*Response, bool) {
	if r.Method != http.MethodGet {
		return nil, false
	}
	challenge := query(r, "hub.challenge")
	switch {
	case query(r, "hub.mode") != "subscribe" || !tokenMatches(query(r, "hub.verify_token"), s.token):
		return textResponse(http.StatusForbidden, "verify token mismatch"), true
	case challenge == "":
		return textResponse(http.StatusBadRequest, "missing hub.challenge"), true
	}
	return jsonResponse(http.StatusOK, map[string]string{"hub.challenge": challenge}), true
}
