package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// fuzzPreset is one preset ready to fuzz: built once, outside the loop.
type fuzzPreset struct {
	harness
	p Provider
	s Signer
	// object wraps fuzzed bytes in a JSON object, for the presets that need
	// one (X verifies only objects; Mailgun, Linear and Graph sign them).
	object bool
}

func fuzzPresets(f *testing.F) []fuzzPreset {
	var out []fuzzPreset
	for _, h := range harnesses() {
		o := h.opts("secret-A")
		p, err := New(h.name, o)
		if err != nil {
			f.Fatal(err)
		}
		s, err := NewSigner(h.name, o)
		if err != nil {
			f.Fatal(err)
		}
		object := slices.Contains([]string{"x", "mailgun", "linear", "msgraph"}, h.name)
		out = append(out, fuzzPreset{harness: h, p: p, s: s, object: object})
	}
	return out
}

// shape makes fuzzed bytes a body the preset sends.
func (fp fuzzPreset) shape(b []byte) []byte {
	if fp.object {
		s, _ := json.Marshal(string(b))
		b = append(append([]byte(`{"f":`), s...), '}')
	}
	return fp.request(b).Body
}

// FuzzPresets checks every preset: whatever the headers and body, Verify
// neither panics nor fails with anything but a *Failure; and any change to
// the body of a correctly signed request is refused (for schemes that
// cover the body; for those that sign decoded parameters, a changed body
// verifies only when its parameters are the same).
func FuzzPresets(f *testing.F) {
	presets := fuzzPresets(f)
	for i := range presets {
		for _, body := range []string{"", `{}`, `{"a":"\u00e9\/"}` + "\r\n", "\x00\xff", "a=1&b=%zz"} {
			f.Add(uint8(i), []byte(body), "", "", "", uint16(0), byte(1))
		}
	}
	f.Add(uint8(0), []byte(`{"long":"`+string(bytes.Repeat([]byte("x"), 300))+`"}`), "sha256=00", "1700000000", "id", uint16(299), byte(2))
	f.Add(uint8(3), []byte("{}"), "t=1700000000,v1=00,v1=zz", "-1", "msg_1", uint16(1), byte(3))
	f.Fuzz(func(t *testing.T, idx uint8, body []byte, h0, h1, h2 string, pos uint16, op byte) {
		fp := presets[int(idx)%len(presets)]
		// Arbitrary headers: a Failure, never a panic or another error.
		r := fp.request(body)
		r.Body = body
		for i, v := range []string{h0, h1, h2} {
			if i < len(fp.about.headers) {
				r.Header.Set(fp.about.headers[i], v)
			}
		}
		var fail *Failure
		if err := fp.p.Verify(r); err != nil && !errors.As(err, &fail) {
			t.Fatalf("%s: Verify: got %T %v, want a *Failure", fp.name, err, err)
		}
		fp.p.Identify(r)
		fp.p.Challenge(r)

		// A signed request verifies; any change to its body does not.
		signed := fp.request(nil)
		signed.Body = fp.shape(body)
		if err := fp.s.Sign(signed); err != nil {
			t.Fatalf("%s: Sign(%q): %v", fp.name, signed.Body, err)
		}
		if got := reason(fp.p.Verify(signed)); got != "" {
			t.Fatalf("%s: Verify(Sign(%q)): got %q, want %q", fp.name, signed.Body, got, "")
		}
		if fp.about.integrity == noIntegrity {
			return
		}
		mutated := *signed
		mutated.Body = mutate(signed.Body, int(pos), op)
		if reason(fp.p.Verify(&mutated)) != "" {
			return
		}
		if fp.about.integrity == paramIntegrity && sameParams(signed.Body, mutated.Body) {
			return
		}
		if fp.about.integrity == paramIntegrity && sameSignedString(fp.name, signed, &mutated) {
			return
		}
		t.Fatalf("%s: Verify accepted %q, signed as %q", fp.name, mutated.Body, signed.Body)
	})
}

// sameParams reports whether two form bodies hold the same parameters.
func sameParams(a, b []byte) bool {
	qa, err1 := url.ParseQuery(string(a))
	qb, err2 := url.ParseQuery(string(b))
	return err1 == nil && err2 == nil && slices.Equal(sortedParams(qa), sortedParams(qb))
}

// sameSignedString reports whether two requests sign the same string under
// the parameter scheme of the preset: such schemes cannot tell apart two
// parameter sets that write out the same. Twilio MACs the sorted names and
// values concatenated with no separator, so "msisdn=447" and "msisdn447="
// sign the same (in Twilio's SDKs as here; the fuzzer found that pair);
// Vonage writes "&name=value" with "&" and "=" in values turned into "_",
// so a value "x=y" signs as "x_y".
func sameSignedString(preset string, a, b *Request) bool {
	switch preset {
	case "twilio":
		qa, err1 := url.ParseQuery(string(a.Body))
		qb, err2 := url.ParseQuery(string(b.Body))
		return err1 == nil && err2 == nil && strings.Join(sortedParams(qa), "") == strings.Join(sortedParams(qb), "")
	case "vonage-sms":
		pa, fa := vonageParams(a)
		pb, fb := vonageParams(b)
		return fa == nil && fb == nil && vonageString(pa) == vonageString(pb)
	}
	return false
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

// FuzzChallenges sends every preset arbitrary handshake-shaped requests:
// no panic, a sane status, and the handshakes that arrive signed are
// answered with success only for a request that verifies.
func FuzzChallenges(f *testing.F) {
	presets := fuzzPresets(f)
	seeds := []struct{ query, body, header string }{
		{"crc_token=abc", "", ""},
		{"hub.mode=subscribe&hub.challenge=1&hub.verify_token=vt-123", "", ""},
		{"hub.mode=subscribe&hub.challenge=1&hub.verify_token=no", "", ""},
		{"challenge=abc&validationToken=x%20y&challenge_code=c", "", "https://origin.example"},
		{"code=secret-A", `[{"data":{"validationCode":"v"}}]`, "SubscriptionValidation"},
		{"", `{"type":"url_verification","challenge":"c"}`, ""},
		{"", `{"event":"endpoint.url_validation","payload":{"plainToken":"p"}}`, ""},
		{"", `{"type":1}`, "webhook_callback_verification"},
		{"", `{"events":[]}`, ""},
		{"", `{"verification_token":"secret_x"}`, "hook-secret"},
		{"", "webhook_id=12", ""},
		{"%zz;", "\x00", "\r\n"},
	}
	for i := range presets {
		for k := range 4 { // a few seeds per preset, each with another method
			s := seeds[(i+k)%len(seeds)]
			f.Add(uint8(i), byte(k), s.query, []byte(s.body), s.header)
		}
	}
	methods := []string{http.MethodGet, http.MethodPost, http.MethodHead, http.MethodOptions}
	// These handshakes arrive signed, and answer only requests that verify.
	signedHandshakes := []string{"slack", "zoom", "twitch", "discord", "discord-events", "xero", "front"}
	f.Fuzz(func(t *testing.T, idx uint8, method byte, query string, body []byte, hv string) {
		fp := presets[int(idx)%len(presets)]
		r := post(body)
		r.Method = methods[int(method)%len(methods)]
		r.URL = &url.URL{Path: "/in/test", RawQuery: query}
		for _, h := range []string{"X-Hook-Secret", "Validation-Token", "WebHook-Request-Origin", "X-Okta-Verification-Challenge",
			"aeg-event-type", "Twitch-Eventsub-Message-Type"} {
			if hv != "" {
				r.Header.Set(h, hv)
			}
		}
		resp, ok := fp.p.Challenge(r)
		if !ok {
			return
		}
		if resp == nil || !slices.Contains([]int{200, 204, 400, 401, 403, 500}, resp.Status) {
			t.Fatalf("%s: Challenge: got %+v", fp.name, resp)
		}
		if slices.Contains(signedHandshakes, fp.name) && resp.Status < 300 && fp.p.Verify(r) != nil {
			t.Fatalf("%s: Challenge answered %d to a request that does not verify", fp.name, resp.Status)
		}
	})
}
