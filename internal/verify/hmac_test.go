package verify

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strings"
	"testing"
)

// TestHMACVariants checks every algorithm and encoding against a MAC
// computed here.
func TestHMACVariants(t *testing.T) {
	t.Parallel()
	const secret, body = "s3cret", `{"order":1}`
	mac := func(h func() hash.Hash) []byte {
		m := hmac.New(h, []byte(secret))
		m.Write([]byte(body))
		return m.Sum(nil)
	}
	cases := []struct {
		name   string
		opts   HMACOptions
		header string // the value a sender would send
	}{
		{"defaults", HMACOptions{Header: "x-hmac"}, hex.EncodeToString(mac(sha256.New))},
		{"sha1 hex", HMACOptions{Header: "x-hmac", Algorithm: "sha1"}, hex.EncodeToString(mac(sha1.New))},
		{"SHA512 base64", HMACOptions{Header: "x-hmac", Algorithm: "SHA512", Encoding: "base64"}, base64.StdEncoding.EncodeToString(mac(sha512.New))},
		{"prefix", HMACOptions{Header: "X-Signature", Algorithm: "sha256", Encoding: "hex", Prefix: "sha256="}, "sha256=" + hex.EncodeToString(mac(sha256.New))},
		{"upper-case hex", HMACOptions{Header: "x-hmac"}, strings.ToUpper(hex.EncodeToString(mac(sha256.New)))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := Options{Secrets: []string{secret}, HMAC: c.opts}
			p := newProvider(t, "hmac", o)
			r := post([]byte(body))
			r.Header.Set(c.opts.Header, c.header)
			if got := reason(p.Verify(r)); got != "" {
				t.Errorf("Verify: got %q, want %q", got, "")
			}
			s := signed(t, "hmac", o, []byte(body))
			if got, want := s.Header.Get(c.opts.Header), strings.ToLower(c.header); c.name != "SHA512 base64" && got != want {
				t.Errorf("Sign: got %q, want %q", got, want)
			}
		})
	}
}

func TestHMACIdentify(t *testing.T) {
	t.Parallel()
	o := Options{Secrets: []string{"s"}, HMAC: HMACOptions{Header: "x-hmac", EventTypeHeader: "x-topic", DeliveryIDHeader: "x-id"}}
	p := newProvider(t, "hmac", o)
	r := signed(t, "hmac", o, []byte(`{}`))
	r.Header.Set("X-Topic", "orders/create")
	r.Header.Set("X-Id", "d-1")
	if got, want := p.Identify(r), (Identity{Type: "orders/create", DeliveryID: "d-1"}); got != want {
		t.Errorf("Identify: got %+v, want %+v", got, want)
	}
	bare := newProvider(t, "hmac", Options{Secrets: []string{"s"}, HMAC: HMACOptions{Header: "x-hmac"}})
	if got := bare.Identify(r); got != (Identity{}) {
		t.Errorf("Identify without identity headers: got %+v, want zero", got)
	}
	if resp, ok := bare.Challenge(r); ok {
		t.Errorf("Challenge: got %+v, true; want no handshake", resp)
	}
}
