package verify

import (
	"crypto"
	"net/http"
	"time"
)

// messagingPresets are chat, social, e-mail, voice and support tools.
func messagingPresets() []preset {
	meta := func(name, doc string) preset {
		return preset{name: name, doc: doc, row: &scheme{
			// Meta escapes non-ASCII and "/" in the raw body: only the raw
			// bytes verify. The SHA-1 X-Hub-Signature is not checked.
			header: "X-Hub-Signature-256", hash: crypto.SHA256, prefix: "sha256=", signs: "{body}",
			eventType: fromJSON("object"), verifyToken: true,
			challenge: hubChallenge, handshake: "GET `?hub.mode=subscribe&hub.verify_token=&hub.challenge=`: 200 text/plain hub.challenge when hub.verify_token is verify_token, else 403",
		}}
	}
	return []preset{
		{name: "slack", doc: "https://api.slack.com/authentication/verifying-requests-from-slack", row: &scheme{
			// JSON (Events API) and form bodies (slash commands,
			// interactivity) are both signed as raw bytes.
			header: "X-Slack-Signature", hash: crypto.SHA256, prefix: "v0=", signs: "v0:{timestamp}:{body}",
			timestampHeader: "X-Slack-Request-Timestamp", tolerance: 5 * time.Minute,
			deliveryID: fromJSON("event_id"), eventType: slackType(),
			challenge: slackURLVerification, handshake: "signed POST `{\"type\":\"url_verification\"}`: once verified, 200 text/plain with its `challenge`",
		}},
		meta("meta", "https://developers.facebook.com/docs/graph-api/webhooks/getting-started"),
		meta("facebook", "https://developers.facebook.com/docs/graph-api/webhooks/getting-started"),
		meta("instagram", "https://developers.facebook.com/docs/instagram-platform/webhooks"),
		meta("whatsapp", "https://developers.facebook.com/docs/graph-api/webhooks/getting-started/webhooks-for-whatsapp"),
		{name: "zoom", doc: "https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events", row: &scheme{
			// Zoom documents no window: 5 minutes is hookgate's policy. Its
			// Rivet SDK verifies a re-serialisation of the parsed body;
			// hookgate verifies the raw bytes, as documented.
			header: "x-zm-signature", hash: crypto.SHA256, prefix: "v0=", signs: "v0:{timestamp}:{body}",
			timestampHeader: "x-zm-request-timestamp", tolerance: 5 * time.Minute, eventType: fromJSON("event"),
			challenge: zoomURLValidation, handshake: "signed POST `{\"event\":\"endpoint.url_validation\"}`: once verified, 200 JSON `{\"plainToken\":p,\"encryptedToken\":hex HMAC-SHA256(first secret, p)}`",
		}},
		{name: "twitch", doc: "https://dev.twitch.tv/docs/eventsub/handling-webhook-events/", row: &scheme{
			header: "Twitch-Eventsub-Message-Signature", hash: crypto.SHA256, prefix: "sha256=", signs: "{id}{timestamp}{body}",
			idHeader: "Twitch-Eventsub-Message-Id", timestampHeader: "Twitch-Eventsub-Message-Timestamp",
			timestampFormat: rfc3339, tolerance: 10 * time.Minute,
			deliveryID: fromHeader("Twitch-Eventsub-Message-Id"), eventType: fromHeader("Twitch-Eventsub-Subscription-Type"),
			challenge: twitchVerification, handshake: "signed POST with `Twitch-Eventsub-Message-Type: webhook_callback_verification`: once verified, 200 text/plain with its `challenge`",
		}},
		{name: "line", doc: "https://developers.line.biz/en/reference/messaging-api/#signature-validation", row: &scheme{
			header: "x-line-signature", hash: crypto.SHA256, encoding: base64Encoding, signs: "{body}",
			eventType: fromJSON("events", "0", "type"),
		}},
		{name: "intercom", doc: "https://developers.intercom.com/docs/references/webhooks/webhook-models#signed-notifications", row: &scheme{
			header: "X-Hub-Signature", hash: crypto.SHA1, prefix: "sha1=", signs: "{body}",
			deliveryID: fromJSON("id"), eventType: fromJSON("topic"),
		}},
		{name: "helpscout", doc: "https://developer.helpscout.com/webhooks/", row: &scheme{
			header: "X-HelpScout-Signature", hash: crypto.SHA1, encoding: base64Encoding, signs: "{body}",
			eventType: fromHeader("X-HelpScout-Event"),
		}},
		{name: "front", doc: "https://dev.frontapp.com/docs/application-webhooks", row: &scheme{
			// Application webhooks. Front recommends refusing requests older
			// than 5 minutes (its Connectors security page).
			header: "X-Front-Signature", hash: crypto.SHA256, encoding: base64Encoding, signs: "{timestamp}:{body}",
			timestampHeader: "X-Front-Request-Timestamp", timestampFormat: unixMillis, tolerance: 5 * time.Minute,
			eventType: fromJSON("type"),
			challenge: frontChallenge, handshake: "signed POST with an `x-front-challenge` header (sent when the webhook is saved): once verified, 200 JSON `{\"challenge\": value}`",
		}},
		{name: "customerio", doc: "https://docs.customer.io/api/webhooks/#section/Securely-verifying-requests", row: &scheme{
			// No window is documented: 5 minutes is hookgate's policy.
			header: "X-CIO-Signature", hash: crypto.SHA256, signs: "v0:{timestamp}:{body}",
			timestampHeader: "X-CIO-Timestamp", tolerance: 5 * time.Minute,
			deliveryID: fromJSON("event_id"), eventType: fromJSON("metric"),
		}},
		{name: "zendesk", doc: "https://developer.zendesk.com/documentation/webhooks/verifying/", row: &scheme{
			// No window is documented: 5 minutes is hookgate's policy.
			header: "X-Zendesk-Webhook-Signature", hash: crypto.SHA256, encoding: base64Encoding, signs: "{timestamp}{body}",
			timestampHeader: "X-Zendesk-Webhook-Signature-Timestamp", timestampFormat: rfc3339, tolerance: 5 * time.Minute,
			deliveryID: fromJSON("id"), eventType: fromJSON("type"),
		}},
		{name: "plivo", doc: "https://www.plivo.com/docs/voice/concepts/signature-validation", row: &scheme{
			// Signature V2 covers the URL without its query, and a nonce: not
			// the body, and no time.
			header: "X-Plivo-Signature-V2", hash: crypto.SHA256, encoding: base64Encoding, signs: "{endpoint}{id}",
			idHeader: "X-Plivo-Signature-V2-Nonce", methods: []string{http.MethodGet},
		}},
		{name: "pusher", doc: "https://pusher.com/docs/channels/server_api/webhooks/#authentication", row: &scheme{
			header: "X-Pusher-Signature", hash: crypto.SHA256, signs: "{body}", eventType: fromJSON("events", "0", "name"),
		}},
		{name: "nylas", doc: "https://developer.nylas.com/docs/v3/notifications/webhooks/", row: &scheme{
			header: "X-Nylas-Signature", hash: crypto.SHA256, signs: "{body}",
			deliveryID: fromJSON("id"), eventType: fromJSON("type"),
			challenge: echoQuery("challenge"), handshake: "GET `?challenge=`: 200 text/plain with the challenge",
		}},
		x(),
	}
}
