package verify

import (
	"errors"
	"net/http"
	"strings"
)

// tokenPresets are the providers that present a shared token rather than a
// signature.
func tokenPresets() []preset {
	return []preset{
		tokenPreset("gitlab", "https://docs.gitlab.com/user/project/integrations/webhooks/#validate-payloads-by-using-a-secret-token", token{
			// See gitlab-signing for the signing token, which covers the body.
			header:     "X-Gitlab-Token",
			deliveryID: fromHeader("Idempotency-Key", "X-Gitlab-Event-UUID"), eventType: fromHeader("X-Gitlab-Event"),
		}, ""),
		tokenPreset("telegram", "https://core.telegram.org/bots/api#setwebhook", token{
			header: "X-Telegram-Bot-Api-Secret-Token", valid: telegramToken,
			deliveryID: fromJSONNumber("update_id"), eventType: fromFunc("the update's first key other than `update_id`", telegramType),
		}, ""),
		tokenPreset("okta", "https://developer.okta.com/docs/concepts/event-hooks/", token{
			// Okta sends the configured header value verbatim; the header is
			// Authorization unless the hook names another.
			header:     "Authorization",
			deliveryID: fromJSON("eventId"), eventType: fromJSON("data", "events", "0", "eventType"),
			challenge: oktaVerification,
		}, "GET with `X-Okta-Verification-Challenge`: 200 JSON `{\"verification\": <its value>}`"),
		tokenPreset("ringcentral", "https://developers.ringcentral.com/guide/notifications/webhooks/creating-webhooks", token{
			// The subscription's verificationToken, sent on every event.
			header:     "Verification-Token",
			deliveryID: fromJSON("uuid"), eventType: fromJSON("event"),
			challenge: ringCentralValidation,
		}, "a request with `Validation-Token` (sent when the subscription is created): 200 with the same `Validation-Token` header"),
		tokenPreset("cloudevents", "https://github.com/cloudevents/spec/blob/main/cloudevents/http-webhook.md", token{
			header: "Authorization", prefix: "Bearer ",
			deliveryID: fromHeader("ce-id").or(fromJSON("id")), eventType: fromHeader("ce-type").or(fromJSON("type")),
			challenge: func(_ *token, r *Request) (*Response, bool) { return abuseProtection(r) },
		}, "OPTIONS with `WebHook-Request-Origin`: 200 with `WebHook-Allowed-Origin` (and `WebHook-Allowed-Rate: *` when a rate was asked)"),
		tokenPreset("azure-eventgrid", "https://learn.microsoft.com/en-us/azure/event-grid/end-point-validation-event-grid-events-schema", token{
			// Event Grid has no signature: the subscription's endpoint URL
			// carries a secret query parameter, as Microsoft advises.
			param:      "code",
			deliveryID: fromJSON("0", "id").or(fromHeader("ce-id")).or(fromJSON("id")),
			eventType:  fromJSON("0", "eventType").or(fromHeader("ce-type")).or(fromJSON("type")),
			challenge:  eventGridValidation,
		}, "POST with `aeg-event-type: SubscriptionValidation` carrying the `code` token: 200 JSON `{\"validationResponse\": <data.validationCode>}`; "+
			"OPTIONS with `WebHook-Request-Origin` (CloudEvents schema): 200 with `WebHook-Allowed-Origin`"),
	}
}

// telegramToken checks a secret_token: 1 to 256 of A-Z, a-z, 0-9, _ and -.
func telegramToken(s string) error {
	if len(s) > 256 || strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
		return errors.New("is not a Telegram secret_token (1 to 256 of A-Z, a-z, 0-9, _ and -)")
	}
	return nil
}

// telegramType is the kind of update: its first key besides update_id,
// such as "message" or "callback_query".
func telegramType(r *Request) string {
	key, _, _ := topLevelKey(r.Body, func(k string) bool { return k != "update_id" })
	return key
}

// oktaVerification answers Okta's one-time verification of an event hook.
func oktaVerification(_ *token, r *Request) (*Response, bool) {
	v := r.Header.Get("X-Okta-Verification-Challenge")
	if r.Method != http.MethodGet || v == "" {
		return nil, false
	}
	return jsonResponse(http.StatusOK, map[string]string{"verification": v}), true
}

// ringCentralValidation echoes the Validation-Token of a new subscription.
func ringCentralValidation(_ *token, r *Request) (*Response, bool) {
	v := r.Header.Get("Validation-Token")
	if v == "" {
		return nil, false
	}
	return &Response{Status: http.StatusOK, Header: http.Header{"Validation-Token": {v}}}, true
}

// abuseProtection answers the CloudEvents webhook validation handshake: an
// OPTIONS with WebHook-Request-Origin is allowed to send, at any rate.
func abuseProtection(r *Request) (*Response, bool) {
	if r.Method != http.MethodOptions {
		return nil, false
	}
	origin := r.Header.Get("WebHook-Request-Origin")
	if origin == "" {
		return textResponse(http.StatusBadRequest, "missing WebHook-Request-Origin"), true
	}
	h := http.Header{"Webhook-Allowed-Origin": {origin}, "Allow": {"OPTIONS, POST"}}
	if r.Header.Get("WebHook-Request-Rate") != "" {
		h.Set("WebHook-Allowed-Rate", "*")
	}
	return &Response{Status: http.StatusOK, Header: h}, true
}

// eventGridValidation answers Event Grid's SubscriptionValidation event,
// once its code parameter matches, with the validation code; and the
// CloudEvents handshake of the CloudEvents schema.
func eventGridValidation(t *token, r *Request) (*Response, bool) {
	if resp, ok := abuseProtection(r); ok {
		return resp, true
	}
	if r.Method != http.MethodPost || r.Header.Get("aeg-event-type") != "SubscriptionValidation" || t.Verify(r) != nil {
		return nil, false
	}
	code := jsonScalar(r.Body, false, "0", "data", "validationCode")
	if code == "" {
		return textResponse(http.StatusBadRequest, "missing data.validationCode"), true
	}
	return jsonResponse(http.StatusOK, map[string]string{"validationResponse": code}), true
}
