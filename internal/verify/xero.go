package verify

import (
	"bytes"
	"net/http"
)

// xeroIntent answers Xero's "intent to receive" check: Xero sends signed
// payloads whose events list is empty, some correctly and some incorrectly
// signed, and expects 200 for the first and 401 for the others, with empty
// bodies. Such payloads carry no event and are not stored.
func xeroIntent(s *scheme, r *Request) (*Response, bool) {
	if r.Method != http.MethodPost {
		return nil, false
	}
	events, ok := jsonAt(r.Body, "events")
	if !ok || !bytes.Equal(bytes.Join(bytes.Fields(events), nil), []byte("[]")) {
		return nil, false
	}
	if s.Verify(r) != nil {
		return emptyResponse(http.StatusUnauthorized), true
	}
	return emptyResponse(http.StatusOK), true
}
