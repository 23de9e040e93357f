package verify

import (
	"crypto"
	"time"
)

// standardWebhooks is the Standard Webhooks scheme
// (https://www.standardwebhooks.com), which hookgate also signs its own
// deliveries with. The MAC is HMAC-SHA256 of id "." timestamp "." body,
// where id is webhook-id and timestamp is webhook-timestamp in unix seconds.
// webhook-signature holds space-separated "v1,<base64 MAC>" entries, any one
// of which may match; other versions (such as "v1a," for asymmetric
// signatures) are ignored. The secret is "whsec_" and the base64 key (the
// prefix is optional). Timestamps more than five minutes away from now, past
// or future, are refused.
//
// webhook-id is the delivery id; the event type is the body's top-level
// "type" field.
func standardWebhooks() scheme {
	return scheme{
		header:           "webhook-signature",
		hash:             crypto.SHA256,
		encoding:         base64Encoding,
		prefix:           "v1,",
		list:             true,
		signs:            signsIDTimestampBody,
		sep:              ".",
		idHeader:         "webhook-id",
		timestampHeader:  "webhook-timestamp",
		tolerance:        5 * time.Minute,
		secret:           base64Secret,
		secretPrefix:     "whsec_",
		deliveryIDHeader: "webhook-id",
		eventType:        stringField("type"),
	}
}
