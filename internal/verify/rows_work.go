package verify

import (
	"crypto"
	"net/http"
	"time"
)

// workPresets are productivity, forms, CRM, content, identity and
// webhook-platform tools.
func workPresets() []preset {
	return []preset{
		{name: "standardwebhooks", doc: "https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md",
			row: standardRow("webhook", fromJSON("type"))},
		{name: "svix", doc: "https://docs.svix.com/receiving/verifying-payloads/how-manual", row: standardRow("svix", fromJSON("type"))},
		{name: "clerk", doc: "https://clerk.com/docs/webhooks/sync-data", row: standardRow("svix", fromJSON("type"))},
		{name: "resend", doc: "https://resend.com/docs/dashboard/webhooks/verify-webhooks-requests", row: standardRow("svix", fromJSON("type"))},
		{name: "typeform", doc: "https://www.typeform.com/developers/webhooks/secure-your-webhooks/", row: &scheme{
			header: "Typeform-Signature", hash: crypto.SHA256, encoding: base64Encoding, prefix: "sha256=", signs: "{body}",
			deliveryID: fromJSON("event_id"), eventType: fromJSON("event_type"),
		}},
		hubspot(), hubspotV2(), hubspotV1(),
		{name: "calcom", doc: "https://cal.com/docs/developing/guides/automation/webhooks", row: &scheme{
			header: "X-Cal-Signature-256", hash: crypto.SHA256, signs: "{body}", eventType: fromJSON("triggerEvent"),
		}},
		{name: "dropbox", doc: "https://www.dropbox.com/developers/reference/webhooks", row: &scheme{
			header: "X-Dropbox-Signature", hash: crypto.SHA256, signs: "{body}",
			challenge: echoQuery("challenge"), handshake: "GET `?challenge=`: 200 text/plain with the challenge",
		}},
		{name: "box", doc: "https://developer.box.com/guides/webhooks/v2/signatures-v2/", row: &scheme{
			// The body, then the timestamp. Secrets: the primary key, then
			// the secondary; either verifies either header.
			header: "BOX-SIGNATURE-PRIMARY", altHeaders: []string{"BOX-SIGNATURE-SECONDARY"}, hash: crypto.SHA256,
			encoding: base64Encoding, signs: "{body}{timestamp}",
			timestampHeader: "BOX-DELIVERY-TIMESTAMP", timestampFormat: rfc3339, tolerance: 10 * time.Minute,
			deliveryID: fromHeader("BOX-DELIVERY-ID"), eventType: fromJSON("trigger"),
		}},
		{name: "trello", doc: "https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/#webhook-signatures", row: &scheme{
			// The body, then the callback URL as registered.
			header: "X-Trello-Webhook", hash: crypto.SHA1, encoding: base64Encoding, signs: "{body}{url}",
			deliveryID: fromJSON("action", "id"), eventType: fromJSON("action", "type"),
			challenge: trelloHead, handshake: "HEAD (sent when the webhook is created): 200",
		}},
		{name: "airtable", doc: "https://airtable.com/developers/web/api/webhooks-overview", row: &scheme{
			// The secret is the macSecretBase64 returned when the webhook was
			// created.
			header: "X-Airtable-Content-MAC", hash: crypto.SHA256, prefix: "hmac-sha256=", signs: "{body}",
			secret: base64Secret,
		}},
		{name: "webflow", doc: "https://developers.webflow.com/data/docs/working-with-webhooks", row: &scheme{
			header: "x-webflow-signature", hash: crypto.SHA256, signs: "{timestamp}:{body}",
			timestampHeader: "x-webflow-timestamp", timestampFormat: unixMillis, tolerance: 5 * time.Minute,
			eventType: fromJSON("triggerType"),
		}},
		{name: "sanity", doc: "https://github.com/sanity-io/webhook-toolkit", row: &scheme{
			// No window is documented: 5 minutes is hookgate's policy.
			header: "sanity-webhook-signature", hash: crypto.SHA256, encoding: base64URLEncoding, prefix: "v1=",
			listSep: ",", tsField: "t=", timestampFormat: unixMillis, signs: "{timestamp}.{body}", tolerance: 5 * time.Minute,
			deliveryID: fromHeader("idempotency-key"), eventType: fromHeader("sanity-operation"),
		}},
		{name: "workos", doc: "https://workos.com/docs/events/data-syncing/webhooks", row: &scheme{
			// 3 minutes is the WorkOS SDKs' default window.
			header: "WorkOS-Signature", hash: crypto.SHA256, prefix: "v1=", listSep: ",", tsField: "t=",
			timestampFormat: unixMillis, signs: "{timestamp}.{body}", tolerance: 3 * time.Minute,
			deliveryID: fromJSON("id"), eventType: fromJSON("event"),
		}},
		{name: "mux", doc: "https://docs.mux.com/core/verify-webhook-signatures", row: &scheme{
			header: "Mux-Signature", hash: crypto.SHA256, prefix: "v1=", listSep: ",", tsField: "t=",
			signs: "{timestamp}.{body}", tolerance: 5 * time.Minute,
			deliveryID: fromJSON("id"), eventType: fromJSON("type"),
		}},
	}
}

// trelloHead answers the HEAD Trello sends when a webhook is created.
func trelloHead(_ *scheme, r *Request) (*Response, bool) {
	if r.Method != http.MethodHead {
		return nil, false
	}
	return emptyResponse(http.StatusOK), true
}
