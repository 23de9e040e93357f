package verify

import (
	"crypto"
	"encoding/json"
	"net/http"
)

func asanaPreset() preset {
	return capturePreset("asana", "https://developers.asana.com/docs/webhooks-guide", func() *scheme {
		return &scheme{
			header: "X-Hook-Signature", hash: crypto.SHA256, signs: "{body}",
			eventType: fromJSON("events", "0", "action"),
		}
	}, asanaHandshake, func(r *Request) *Response {
		return &Response{Status: http.StatusOK, Header: http.Header{"X-Hook-Secret": {r.Header.Get("X-Hook-Secret")}}}
	}, "POST with `X-Hook-Secret`: 200 echoing `X-Hook-Secret`, not stored; without a secret configured, it is stored so that the "+
		"operator can read the issued secret (capture mode), and everything else is refused")
}

// asanaHandshake is a POST with X-Hook-Secret and no signature.
func asanaHandshake(r *Request) bool {
	return r.Method == http.MethodPost && r.Header.Get("X-Hook-Secret") != "" && len(r.Header["X-Hook-Signature"]) == 0
}

func notionPreset() preset {
	return capturePreset("notion", "https://developers.notion.com/reference/webhooks", func() *scheme {
		return &scheme{
			// Notion's example verifies JSON.stringify of the parsed body;
			// hookgate verifies the raw bytes Notion signed.
			header: "X-Notion-Signature", hash: crypto.SHA256, prefix: "sha256=", signs: "{body}",
			deliveryID: fromJSON("id"), eventType: fromJSON("type"),
		}
	}, notionVerification, func(*Request) *Response { return emptyResponse(http.StatusOK) },
		"unsigned POST `{\"verification_token\": ...}`: 200, not stored; without a secret configured, it is stored so that the "+
			"operator can read the token, which becomes the secret (capture mode), and everything else is refused")
}

// notionVerification is an unsigned POST whose body is only a
// verification_token.
func notionVerification(r *Request) bool {
	if r.Method != http.MethodPost || len(r.Header["X-Notion-Signature"]) > 0 {
		return false
	}
	var body map[string]json.RawMessage
	if json.Unmarshal(r.Body, &body) != nil || len(body) != 1 {
		return false
	}
	v, ok := body["verification_token"]
	return ok && scalar(v, false) != ""
}
