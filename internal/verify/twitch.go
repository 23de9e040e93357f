package verify

import "net/http"

// twitchVerification answers EventSub's webhook_callback_verification,
// which is signed: once it verifies, 200 with the raw challenge as
// text/plain. Revocations are ordinary events.
func twitchVerification(s *scheme, r *Request) (*Response, bool) {
	if r.Method != http.MethodPost || r.Header.Get("Twitch-Eventsub-Message-Type") != "webhook_callback_verification" || s.Verify(r) != nil {
		return nil, false
	}
	challenge := jsonScalar(r.Body, false, "challenge")
	if challenge == "" {
		return textResponse(http.StatusBadRequest, "missing challenge"), true
	}
	return textResponse(http.StatusOK, challenge), true
}
