package verify

import (
	"net/http"
	"net/url"
)

// slackURLVerification answers the Events API's url_verification, which is
// signed like any request: once it verifies, 200 with the challenge as
// text/plain.
func slackURLVerification(s *scheme, r *Request) (*Response, bool) {
	if !verifiedJSON(s, r, "url_verification") || jsonScalar(r.Body, false, "type") != "url_verification" {
		return nil, false
	}
	challenge := jsonScalar(r.Body, false, "challenge")
	if challenge == "" {
		return textResponse(http.StatusBadRequest, "missing challenge"), true
	}
	return textResponse(http.StatusOK, challenge), true
}

// slackType reads the event type: the Events API's event.type or type,
// a slash command's command, or an interactivity payload's type.
func slackType() field {
	return fromJSON("event", "type").or(fromJSON("type")).or(fromForm("command")).or(
		fromFunc("the `type` of form field `payload`", func(r *Request) string {
			q, err := url.ParseQuery(string(r.Body))
			if err != nil {
				return ""
			}
			return jsonScalar([]byte(q.Get("payload")), false, "type")
		}))
}
