package verify

import (
	"crypto"
	"time"
)

// commercePresets are payments, shops, billing and finance.
func commercePresets() []preset {
	return []preset{
		{name: "stripe", doc: "https://docs.stripe.com/webhooks#verify-events", row: &scheme{
			// Several v1 entries during a secret roll; test mode adds a v0
			// that is ignored. The whole whsec_ string is the key (unlike
			// Standard Webhooks). Stripe's libraries bound only the past;
			// hookgate bounds both ways.
			header: "Stripe-Signature", hash: crypto.SHA256, prefix: "v1=", listSep: ",", tsField: "t=",
			signs: "{timestamp}.{body}", tolerance: 5 * time.Minute,
			deliveryID: fromJSON("id"), eventType: fromJSON("type"),
		}},
		{name: "shopify", doc: "https://shopify.dev/docs/apps/build/webhooks/subscribe/https", row: &scheme{
			// Newer "events" deliveries use the same headers without X-.
			header: "X-Shopify-Hmac-Sha256", altHeaders: []string{"shopify-hmac-sha256"}, hash: crypto.SHA256,
			encoding: base64Encoding, signs: "{body}",
			deliveryID: fromHeader("X-Shopify-Webhook-Id", "shopify-webhook-id"),
			eventType:  fromHeader("X-Shopify-Topic", "shopify-topic"),
		}},
		{name: "paddle", doc: "https://developer.paddle.com/webhooks/signature-verification", row: &scheme{
			// Paddle documents "at least one h1" (several during rotation); its
			// Node SDK keeps only the last. The 5 s window is its SDK's.
			header: "Paddle-Signature", hash: crypto.SHA256, prefix: "h1=", listSep: ";", tsField: "ts=",
			signs: "{timestamp}:{body}", tolerance: 5 * time.Second,
			deliveryID: fromJSON("notification_id"), eventType: fromJSON("event_type"),
		}},
		{name: "square", doc: "https://developer.squareup.com/docs/webhooks/step3validate", row: &scheme{
			// The notification URL exactly as configured, then the body.
			header: "x-square-hmacsha256-signature", hash: crypto.SHA256, encoding: base64Encoding,
			signs: "{url}{body}", deliveryID: fromJSON("event_id"), eventType: fromJSON("type"),
		}},
		{name: "razorpay", doc: "https://razorpay.com/docs/webhooks/validate-test/", row: &scheme{
			header: "X-Razorpay-Signature", hash: crypto.SHA256, signs: "{body}",
			deliveryID: fromHeader("x-razorpay-event-id"), eventType: fromJSON("event"),
		}},
		{name: "paystack", doc: "https://paystack.com/docs/payments/webhooks/#verify-event-origin", row: &scheme{
			header: "x-paystack-signature", hash: crypto.SHA512, signs: "{body}", eventType: fromJSON("event"),
		}},
		{name: "lemonsqueezy", doc: "https://docs.lemonsqueezy.com/help/webhooks/signing-requests", row: &scheme{
			header: "X-Signature", hash: crypto.SHA256, signs: "{body}",
			eventType: fromHeader("X-Event-Name").or(fromJSON("meta", "event_name")),
		}},
		{name: "coinbase-commerce", doc: "https://docs.cdp.coinbase.com/commerce-onchain/docs/webhooks-security", row: &scheme{
			header: "X-CC-Webhook-Signature", hash: crypto.SHA256, signs: "{body}",
			deliveryID: fromJSON("event", "id"), eventType: fromJSON("event", "type"),
		}},
		{name: "woocommerce", doc: "https://woocommerce.com/document/webhooks/", row: &scheme{
			header: "X-WC-Webhook-Signature", hash: crypto.SHA256, encoding: base64Encoding, signs: "{body}",
			deliveryID: fromHeader("X-WC-Webhook-Delivery-ID"), eventType: fromHeader("X-WC-Webhook-Topic"),
			challenge: wooPing, handshake: "the unsigned form POST `webhook_id=<n>` WooCommerce sends when a webhook is saved gets 200 and is not stored",
		}},
		{name: "mollie", doc: "https://docs.mollie.com/reference/webhooks-best-practices", row: &scheme{
			// Next-gen webhooks; the header is sent twice during a secret
			// rotation. Classic payment webhooks are not signed.
			header: "X-Mollie-Signature", hash: crypto.SHA256, prefix: "sha256=", listSep: ",", signs: "{body}",
			deliveryID: fromJSON("id"), eventType: fromJSON("type"),
		}},
		{name: "revolut", doc: "https://developer.revolut.com/docs/guides/manage-accounts/webhooks/verify-the-payload-signature", row: &scheme{
			header: "Revolut-Signature", hash: crypto.SHA256, prefix: "v1=", listSep: ",",
			signs: "v1.{timestamp}.{body}", timestampHeader: "Revolut-Request-Timestamp", timestampFormat: unixMillis,
			tolerance: 5 * time.Minute, eventType: fromJSON("event"),
		}},
		{name: "checkout", doc: "https://www.checkout.com/docs/developer-resources/webhooks/manage-webhooks/verify-webhooks", row: &scheme{
			header: "Cko-Signature", hash: crypto.SHA256, signs: "{body}",
			deliveryID: fromJSON("id"), eventType: fromJSON("type"),
		}},
		{name: "gocardless", doc: "https://developer.gocardless.com/getting-started/staying-up-to-date-with-webhooks", row: &scheme{
			header: "Webhook-Signature", hash: crypto.SHA256, signs: "{body}",
			eventType: fromJSON("events", "0", "resource_type"),
		}},
		{name: "xero", doc: "https://developer.xero.com/documentation/guides/webhooks/overview/", row: &scheme{
			header: "x-xero-signature", hash: crypto.SHA256, encoding: base64Encoding, signs: "{body}",
			eventType: fromJSON("events", "0", "eventCategory"),
			challenge: xeroIntent, handshake: "intent to receive: a payload whose `events` is empty gets 200 with an empty body when it verifies, 401 otherwise, and is not stored",
		}},
		{name: "docusign", doc: "https://developers.docusign.com/platform/webhooks/connect/hmac/", row: &scheme{
			// One header per active Connect key: -1, -2, ...
			header: "X-DocuSign-Signature-1", altHeaders: []string{
				"X-DocuSign-Signature-2", "X-DocuSign-Signature-3", "X-DocuSign-Signature-4", "X-DocuSign-Signature-5",
			},
			hash: crypto.SHA256, encoding: base64Encoding, signs: "{body}", eventType: fromJSON("event"),
		}},
		{name: "calendly", doc: "https://developer.calendly.com/api-docs/4c305798a61d3-webhook-signatures", row: &scheme{
			header: "Calendly-Webhook-Signature", hash: crypto.SHA256, prefix: "v1=", listSep: ",", tsField: "t=",
			signs: "{timestamp}.{body}", tolerance: 3 * time.Minute, eventType: fromJSON("event"),
		}},
		{name: "patreon", doc: "https://docs.patreon.com/#webhooks", row: &scheme{
			header: "X-Patreon-Signature", hash: crypto.MD5, signs: "{body}", eventType: fromHeader("X-Patreon-Event"),
		}},
	}
}
