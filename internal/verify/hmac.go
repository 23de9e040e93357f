package verify

import (
	"cmp"
	"crypto"
	"errors"
	"fmt"
	"strings"
)

// genericPreset is the "hmac" scheme, built from Options.HMAC for senders
// without a preset: the body's MAC in one header, optionally after a prefix.
func genericPreset() preset {
	return preset{name: "hmac", build: generic, about: about{
		scheme: "HMAC of `{body}` as the source's `hmac:` block says: `header`, `algorithm` (sha1, sha256, sha512), " +
			"`encoding` (hex, base64), optional `prefix`",
		deliveryID: fromFunc("the header `hmac.delivery_id_header` names", nil),
		eventType:  fromFunc("the header `hmac.event_type_header` names", nil),
		options:    usesHMAC,
	}}
}

func generic(o Options) (*scheme, error) {
	h := o.HMAC
	if h.Header == "" {
		return nil, errors.New("header is required")
	}
	for _, f := range []struct{ option, name string }{
		{"header", h.Header},
		{"event_type_header", h.EventTypeHeader},
		{"delivery_id_header", h.DeliveryIDHeader},
	} {
		if f.name != "" && !validHeaderName(f.name) {
			return nil, fmt.Errorf("%s %q is not a valid header name", f.option, f.name)
		}
	}
	algorithm := cmp.Or(strings.ToLower(h.Algorithm), "sha256")
	hashes := map[string]crypto.Hash{"sha1": crypto.SHA1, "sha256": crypto.SHA256, "sha512": crypto.SHA512}
	hash, ok := hashes[algorithm]
	if !ok {
		return nil, fmt.Errorf("algorithm %q is not one of sha1, sha256, sha512", h.Algorithm)
	}
	encodings := map[string]encoding{"hex": hexEncoding, "base64": base64Encoding}
	enc, ok := encodings[cmp.Or(strings.ToLower(h.Encoding), "hex")]
	if !ok {
		return nil, fmt.Errorf("encoding %q is not one of hex, base64", h.Encoding)
	}
	s := &scheme{header: h.Header, hash: hash, encoding: enc, prefix: h.Prefix, signs: "{body}"}
	if h.DeliveryIDHeader != "" {
		s.deliveryID = fromHeader(h.DeliveryIDHeader)
	}
	if h.EventTypeHeader != "" {
		s.eventType = fromHeader(h.EventTypeHeader)
	}
	return s, nil
}

// validHeaderName reports whether name is an HTTP field name (RFC 9110
// section 5.1: a token).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}
