package verify

import (
	"crypto"
	"net/http"
	"time"
)

// HubSpot's three signature versions are three presets, so that a source
// accepting v3 cannot be downgraded to the untimed v1 or v2.

// hubspot is v3: base64 HMAC-SHA256 of method, URL, body and timestamp
// (milliseconds), refused when more than five minutes away. The URL is the
// full https URL, with the escapes of : / ? @ ! $ ' ( ) * , ; decoded.
func hubspot() preset {
	return preset{name: "hubspot", doc: "https://developers.hubspot.com/docs/api/webhooks/validating-requests", row: &scheme{
		header: "X-HubSpot-Signature-v3", hash: crypto.SHA256, encoding: base64Encoding,
		signs: "{method}{url}{body}{timestamp}", decodeEscapes: ":/?@!$'()*,;",
		timestampHeader: "X-HubSpot-Request-Timestamp", timestampFormat: unixMillis, tolerance: 5 * time.Minute,
		eventType: fromJSON("0", "subscriptionType"),
		methods:   []string{http.MethodGet}, // CRM card and action requests may be GETs
	}}
}

// hubspotV2 is a plain SHA-256 (not an HMAC) of the client secret, method,
// URL and body, used by workflow actions and CRM cards.
func hubspotV2() preset {
	return preset{name: "hubspot-v2", doc: "https://developers.hubspot.com/docs/api/webhooks/validating-requests", row: &scheme{
		header: "X-HubSpot-Signature", hash: crypto.SHA256, mac: keyThenMessage, signs: "{method}{url}{body}",
		methods: []string{http.MethodGet},
	}}
}

// hubspotV1 is a plain SHA-256 of the client secret and the body.
func hubspotV1() preset {
	return preset{name: "hubspot-v1", doc: "https://developers.hubspot.com/docs/api/webhooks/validating-requests", row: &scheme{
		header: "X-HubSpot-Signature", hash: crypto.SHA256, mac: keyThenMessage, signs: "{body}",
		eventType: fromJSON("0", "subscriptionType"),
	}}
}
