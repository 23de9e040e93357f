package verify

import (
	"crypto"
	"time"
)

// devPresets are code hosts, CI, monitoring and hosting platforms. A row
// names only what differs from the zero scheme: HMAC, hex, raw secret.
func devPresets() []preset {
	return []preset{
		{name: "github", doc: "https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries", row: &scheme{
			// The legacy SHA-1 X-Hub-Signature is not checked. "ping" is an
			// ordinary signed event.
			header: "X-Hub-Signature-256", hash: crypto.SHA256, prefix: "sha256=", signs: "{body}",
			deliveryID: fromHeader("X-GitHub-Delivery"), eventType: fromHeader("X-GitHub-Event"),
		}},
		{name: "gitlab-signing", doc: "https://docs.gitlab.com/user/project/integrations/webhooks/#validate-payloads-by-using-a-signing-token", row: standardRow("webhook",
			// GitLab's signing token (whsec_...) follows Standard Webhooks;
			// webhook-id is also sent as Idempotency-Key.
			fromHeader("X-Gitlab-Event"))},
		{name: "bitbucket", doc: "https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/", row: &scheme{
			// SHA-256, despite GitHub's SHA-1 header name.
			header: "X-Hub-Signature", hash: crypto.SHA256, prefix: "sha256=", signs: "{body}",
			deliveryID: fromHeader("X-Request-UUID"), eventType: fromHeader("X-Event-Key"),
		}},
		{name: "gitea", doc: "https://docs.gitea.com/usage/webhooks", row: &scheme{
			header: "X-Gitea-Signature", hash: crypto.SHA256, signs: "{body}",
			deliveryID: fromHeader("X-Gitea-Delivery"), eventType: fromHeader("X-Gitea-Event"),
		}},
		{name: "forgejo", doc: "https://forgejo.org/docs/latest/user/webhooks/", row: &scheme{
			header: "X-Forgejo-Signature", hash: crypto.SHA256, signs: "{body}",
			deliveryID: fromHeader("X-Forgejo-Delivery"), eventType: fromHeader("X-Forgejo-Event"),
		}},
		{name: "gogs", doc: "https://gogs.io/docs/features/webhook", row: &scheme{
			header: "X-Gogs-Signature", hash: crypto.SHA256, signs: "{body}",
			deliveryID: fromHeader("X-Gogs-Delivery"), eventType: fromHeader("X-Gogs-Event"),
		}},
		{name: "jira", doc: "https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks", row: &scheme{
			header: "X-Hub-Signature", hash: crypto.SHA256, prefix: "sha256=", signs: "{body}",
			deliveryID: fromHeader("X-Atlassian-Webhook-Identifier"), eventType: fromJSON("webhookEvent"),
		}},
		{name: "sentry", doc: "https://docs.sentry.io/organization/integrations/integration-platform/webhooks/", row: &scheme{
			// Sentry-Hook-Timestamp is sent but not signed.
			header: "Sentry-Hook-Signature", hash: crypto.SHA256, signs: "{body}",
			deliveryID: fromHeader("Request-ID"), eventType: fromHeader("Sentry-Hook-Resource"),
		}},
		{name: "vercel", doc: "https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks", row: &scheme{
			header: "x-vercel-signature", hash: crypto.SHA1, signs: "{body}",
			deliveryID: fromJSON("id"), eventType: fromJSON("type"),
		}},
		{name: "circleci", doc: "https://circleci.com/docs/webhooks/#validate-webhooks", row: &scheme{
			header: "circleci-signature", hash: crypto.SHA256, prefix: "v1=", listSep: ",", signs: "{body}",
			deliveryID: fromJSON("id"), eventType: fromJSON("type"),
		}},
		{name: "buildkite", doc: "https://buildkite.com/docs/apis/webhooks#webhook-signature", row: &scheme{
			// No window is documented: 5 minutes is hookgate's policy.
			header: "X-Buildkite-Signature", hash: crypto.SHA256, prefix: "signature=", listSep: ",",
			tsField: "timestamp=", signs: "{timestamp}.{body}", tolerance: 5 * time.Minute,
			eventType: fromHeader("X-Buildkite-Event"),
		}},
		{name: "terraform-cloud", doc: "https://developer.hashicorp.com/terraform/cloud-docs/api-docs/notification-configurations#notification-authenticity", row: &scheme{
			header: "X-TFE-Notification-Signature", hash: crypto.SHA512, signs: "{body}",
			eventType: fromJSON("notifications", "0", "trigger"),
		}},
		{name: "pagerduty", doc: "https://developer.pagerduty.com/docs/webhooks-overview#webhook-signatures", row: &scheme{
			header: "X-PagerDuty-Signature", hash: crypto.SHA256, prefix: "v1=", listSep: ",", signs: "{body}",
			deliveryID: fromJSON("event", "id"), eventType: fromJSON("event", "event_type"),
		}},
		{name: "heroku", doc: "https://devcenter.heroku.com/articles/app-webhooks#securing-webhook-requests", row: &scheme{
			header: "Heroku-Webhook-Hmac-SHA256", hash: crypto.SHA256, encoding: base64Encoding, signs: "{body}",
			deliveryID: fromHeader("Heroku-Webhook-Id"), eventType: fromJSON("webhook_metadata", "event", "include"),
		}},
		{name: "alchemy", doc: "https://docs.alchemy.com/reference/notify-api-quickstart#validate-the-signature-received", row: &scheme{
			header: "X-Alchemy-Signature", hash: crypto.SHA256, signs: "{body}",
			deliveryID: fromJSON("id"), eventType: fromJSON("type"),
		}},
		{name: "openai", doc: "https://platform.openai.com/docs/guides/webhooks", row: standardRow("webhook", fromJSON("type"))},
		{name: "replicate", doc: "https://replicate.com/docs/topics/webhooks/verify-webhook", row: standardRow("webhook", fromJSON("status"))},
	}
}

// standardRow is the Standard Webhooks scheme with headers named
// prefix-id, prefix-timestamp and prefix-signature: HMAC-SHA256 of
// id "." timestamp "." body, base64, as space-separated
// "v1,<mac>" entries (other versions, such as "v1a," for asymmetric
// signatures, are ignored), within five minutes, past or future. The secret
// is "whsec_" and the base64 key (the prefix is optional). The id is the
// delivery id; eventType says where the type is.
func standardRow(prefix string, eventType field) *scheme {
	return &scheme{
		header: prefix + "-signature", hash: crypto.SHA256, encoding: base64Encoding, prefix: "v1,", listSep: " ",
		signs: "{id}.{timestamp}.{body}", idHeader: prefix + "-id", timestampHeader: prefix + "-timestamp",
		tolerance: 5 * time.Minute, secret: base64Secret, secretPrefix: "whsec_",
		deliveryID: fromHeader(prefix + "-id"), eventType: eventType,
	}
}
