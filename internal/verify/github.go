package verify

import "crypto"

// github signs the body with HMAC-SHA256 in X-Hub-Signature-256 as
// "sha256=" and lower-case hex. It has no handshake: its "ping" event is a
// normal signed POST. The legacy SHA-1 X-Hub-Signature is not checked.
func github() scheme {
	return scheme{
		header:           "X-Hub-Signature-256",
		hash:             crypto.SHA256,
		encoding:         hexEncoding,
		prefix:           "sha256=",
		signs:            signsBody,
		secret:           rawSecret,
		deliveryIDHeader: "X-GitHub-Delivery",
		eventTypeHeader:  "X-GitHub-Event",
	}
}
