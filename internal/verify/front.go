package verify

import "net/http"

// frontChallenge answers Front's application-webhook validation: a signed
// POST carrying an x-front-challenge header, sent when the webhook is saved.
// Once the request verifies, the answer is 200 JSON {"challenge": value}.
func frontChallenge(s *scheme, r *Request) (*Response, bool) {
	challenge := r.Header.Get("X-Front-Challenge")
	if r.Method != http.MethodPost || challenge == "" || s.Verify(r) != nil {
		return nil, false
	}
	return jsonResponse(http.StatusOK, map[string]string{"challenge": challenge}), true
}
