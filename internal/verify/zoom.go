package verify

import "net/http"

// zoomURLValidation answers endpoint.url_validation, which is signed: once
// it verifies, 200 JSON with the plainToken and its hex HMAC-SHA256 under
// the first secret (Zoom's one current Secret Token).
func zoomURLValidation(s *scheme, r *Request) (*Response, bool) {
	if !verifiedJSON(s, r, "endpoint.url_validation") || jsonScalar(r.Body, false, "event") != "endpoint.url_validation" {
		return nil, false
	}
	plain := jsonScalar(r.Body, false, "payload", "plainToken")
	if plain == "" {
		return textResponse(http.StatusBadRequest, "missing payload.plainToken"), true
	}
	return jsonResponse(http.StatusOK, struct {
		PlainToken     string `json:"plainToken"`
		EncryptedToken string `json:"encryptedToken"`
	}{plain, hexHMAC(s.keys[0], plain)}), true
}
