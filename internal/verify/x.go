package verify

import (
	"crypto"
	"net/http"
	"strings"
)

// x is X's (Twitter's) Account Activity API: POSTs carry
// x-twitter-webhooks-signature, "sha256=" and the base64 HMAC-SHA256 of the
// body under the consumer secret, and every GET is a challenge-response
// check (CRC) answered with the same MAC of its crc_token.
//
// The CRC signs whatever token it is given, so it would also sign a forged
// body sent as a crc_token. Two rules keep the domains apart: a token that
// looks like a JSON object is refused, and a POST body that is not a JSON
// object (X only sends objects) is refused before its MAC is checked.
//
// X sends no delivery id; the event type is the first top-level key that
// ends in "_events", such as "tweet_create_events".
func x() preset {
	return preset{name: "x", doc: "https://docs.x.com/x-api/webhooks/quickstart", row: &scheme{
		header: "x-twitter-webhooks-signature", hash: crypto.SHA256, encoding: base64Encoding, prefix: "sha256=",
		signs: "{body}", jsonObject: true,
		eventType: fromFunc("the first top-level key ending in `_events`", xEventType),
		challenge: xCRC, handshake: "any GET (CRC): 200 JSON `{\"response_token\":\"sha256=\" + base64 HMAC-SHA256(first secret, crc_token)}`; a missing token or one that looks like a JSON object gets 400",
	}}
}

// xCRC answers any GET with the CRC response, signed with the first secret:
// X signs with the app's one current consumer secret, which should be first.
func xCRC(s *scheme, r *Request) (*Response, bool) {
	if r.Method != http.MethodGet {
		return nil, false
	}
	token := query(r, "crc_token")
	switch {
	case token == "":
		return jsonResponse(http.StatusBadRequest, map[string]string{"error": "missing crc_token"}), true
	case isJSONObject([]byte(token)):
		return jsonResponse(http.StatusBadRequest, map[string]string{"error": "invalid crc_token"}), true
	}
	mac := s.sum(nil, s.keys[0], message{body: []byte(token)})
	return jsonResponse(http.StatusOK, map[string]string{"response_token": s.prefix + s.encoding.encode(mac)}), true
}

func xEventType(r *Request) string {
	key, _, _ := topLevelKey(r.Body, func(k string) bool { return strings.HasSuffix(k, "_events") })
	return key
}
