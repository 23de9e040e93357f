package verify

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// fuzzTarget describes one verifier to fuzz.
type fuzzTarget struct {
	provider string
	opts     Options
	// headers receive the three fuzzed header values, in order.
	headers []string
	// seeds are header values worth starting from.
	seeds [][3]string
	// wrap makes a body the provider would send; nil: as is.
	wrap func([]byte) []byte
}

// fuzzVerifier checks two properties: whatever the headers and body, the
// provider neither panics nor fails with anything but a *Failure; and any
// change to the body of a correctly signed request is refused.
func fuzzVerifier(f *testing.F, target fuzzTarget) {
	for _, body := range []string{"", `{}`, `{"a":"\u00e9\/"}` + "\r\n", "\x00\xff"} {
		for _, s := range target.seeds {
			f.Add([]byte(body), s[0], s[1], s[2], uint16(0), byte(1))
		}
	}
	f.Add([]byte(`{"long":"`+string(bytes.Repeat([]byte("x"), 300))+`"}`), "", "", "", uint16(299), byte(2))
	p, err := New(target.provider, target.opts)
	if err != nil {
		f.Fatal(err)
	}
	s, err := NewSigner(target.provider, target.opts)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, h0, h1, h2 string, pos uint16, op byte) {
		if target.wrap != nil {
			body = target.wrap(body)
		}
		// Arbitrary headers: a Failure, never a panic or another error.
		r := post(body)
		for i, v := range []string{h0, h1, h2}[:len(target.headers)] {
			r.Header.Set(target.headers[i], v)
		}
		var fail *Failure
		if err := p.Verify(r); err != nil && !errors.As(err, &fail) {
			t.Fatalf("Verify: got %T %v, want a *Failure", err, err)
		}
		p.Identify(r)
		get := post(nil)
		get.Method = http.MethodGet
		get.URL.RawQuery = h0
		if resp, ok := p.Challenge(get); ok && resp.Status != http.StatusOK && resp.Status != http.StatusBadRequest {
			t.Fatalf("Challenge(%q): got status %d", h0, resp.Status)
		}

		// A signed request verifies; any change to its body does not.
		r = post(body)
		if err := s.Sign(r); err != nil {
			t.Fatal(err)
		}
		if got := reason(p.Verify(r)); got != "" {
			t.Fatalf("Verify(Sign(%q)): got %q, want %q", body, got, "")
		}
		r.Body = mutate(body, int(pos), op)
		if got := reason(p.Verify(r)); got == "" {
			t.Fatalf("Verify accepted %q, signed as %q", r.Body, body)
		}
	})
}

// mutate returns a copy of b that differs from it: a byte flipped, inserted
// or deleted at pos, chosen by op.
func mutate(b []byte, pos int, op byte) []byte {
	out := bytes.Clone(b)
	if len(out) == 0 || op%3 == 1 {
		pos %= len(out) + 1
		return append(out[:pos], append([]byte{op}, out[pos:]...)...)
	}
	pos %= len(out)
	if op%3 == 2 {
		return append(out[:pos], out[pos+1:]...)
	}
	out[pos] ^= op | 1
	return out
}

func FuzzGitHub(f *testing.F) {
	fuzzVerifier(f, fuzzTarget{
		provider: "github",
		opts:     Options{Secrets: []string{"It's a Secret to Everybody"}},
		headers:  []string{"X-Hub-Signature-256"},
		seeds: [][3]string{
			{"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
			{"sha256="}, {""}, {"sha256=zz"}, {"sha1=0123456789abcdef0123456789abcdef01234567"},
		},
	})
}

func FuzzX(f *testing.F) {
	fuzzVerifier(f, fuzzTarget{
		provider: "x",
		opts:     Options{Secrets: []string{"consumer-secret"}},
		headers:  []string{"x-twitter-webhooks-signature"},
		seeds: [][3]string{
			{"sha256=g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
			{"crc_token=abc"}, {"crc_token=%7B%7D"}, {"crc_token="}, {"sha256=%%%"},
		},
		// X only sends JSON objects; anything else is refused before the MAC.
		wrap: func(b []byte) []byte { return append([]byte("{"), b...) },
	})
}

func FuzzHMAC(f *testing.F) {
	fuzzVerifier(f, fuzzTarget{
		provider: "hmac",
		opts: Options{Secrets: []string{"s3cret", "older"}, HMAC: HMACOptions{
			Header: "x-hmac", Algorithm: "sha512", Encoding: "base64", Prefix: "v=",
		}},
		headers: []string{"x-hmac"},
		seeds:   [][3]string{{"v=AAAA"}, {"v="}, {""}, {"v=" + string(bytes.Repeat([]byte("A"), 86)) + "=="}},
	})
}

func FuzzStandardWebhooks(f *testing.F) {
	now := strconv.FormatInt(testNow().Unix(), 10)
	fuzzVerifier(f, fuzzTarget{
		provider: "standardwebhooks",
		opts:     Options{Secrets: []string{swSecret}},
		headers:  []string{"webhook-signature", "webhook-id", "webhook-timestamp"},
		seeds: [][3]string{
			{swVectorSignature, swVectorID, now},
			{"v1a,xyz " + swVectorSignature + " v2,", "msg_1", now},
			{"v1,", "", "-1"},
			{"", "msg", "99999999999999999999"},
		},
	})
}

func FuzzChallengeQuery(f *testing.F) {
	for _, q := range []string{"crc_token=abc", "crc_token=%7B", "crc_token=a&crc_token=b", "%zz", ";", ""} {
		f.Add(q)
	}
	p, err := New("x", Options{Secrets: []string{"s"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := post(nil)
		r.Method = http.MethodGet
		r.URL = &url.URL{Path: "/in/x", RawQuery: query}
		resp, ok := p.Challenge(r)
		if !ok {
			t.Fatal("Challenge(GET): got ok false")
		}
		token := r.URL.Query().Get("crc_token")
		if want := http.StatusOK; token != "" && !isJSONObject([]byte(token)) && resp.Status != want {
			t.Fatalf("Challenge(%q): got status %d, want %d", query, resp.Status, want)
		}
	})
}
