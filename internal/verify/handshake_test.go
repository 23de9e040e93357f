package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHandshakes checks every handshake's exact answer, and that the
// handshakes that arrive signed are answered only when they verify.
func TestHandshakes(t *testing.T) {
	t.Parallel()
	h := func(name string) harness {
		for _, h := range harnesses() {
			if h.name == name {
				return h
			}
		}
		t.Fatalf("no preset %q", name)
		return harness{}
	}
	// signed returns body signed for provider, with extra headers set first.
	signed := func(name, body string, header ...string) *Request {
		s, err := NewSigner(name, h(name).opts("secret-A"))
		if err != nil {
			t.Fatal(err)
		}
		r := h(name).request([]byte(body))
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		if err := s.Sign(r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	unsigned := func(method, query, body string, header ...string) *Request {
		r := post([]byte(body))
		r.Method = method
		r.URL.RawQuery = query
		r.Host = "hooks.example.com"
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		return r
	}
	text := func(status int, body string) *Response {
		return &Response{Status: status, ContentType: "text/plain", Body: []byte(body)}
	}
	js := func(body string) *Response {
		return &Response{Status: 200, ContentType: "application/json", Body: []byte(body)}
	}
	mac := func(key, msg string) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(msg))
		return hex.EncodeToString(m.Sum(nil))
	}
	ebaySum := sha256.Sum256([]byte("code-1" + "vt-123" + testURL))
	graphToken := "Validation: Testing client application reachability for subscription Request-Id: 1"

	cases := []struct {
		name, provider string
		opts           *Options // nil: the suite's
		req            *Request
		want           *Response // nil: not a handshake
	}{
		{"slack signed", "slack", nil, signed("slack", `{"token":"t","challenge":"3eZbrw1aBm2rZ","type":"url_verification"}`), text(200, "3eZbrw1aBm2rZ")},
		{"slack unsigned", "slack", nil, unsigned("POST", "", `{"token":"t","challenge":"c","type":"url_verification"}`), nil},
		{"slack event", "slack", nil, signed("slack", `{"type":"event_callback","event":{"type":"url_verification"}}`), nil},
		{"meta", "meta", nil, unsigned("GET", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=vt-123", ""), text(200, "1158201444")},
		{"meta wrong token", "meta", nil, unsigned("GET", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=vt-12", ""), text(403, "verify token mismatch")},
		{"meta no mode", "whatsapp", nil, unsigned("GET", "hub.challenge=1&hub.verify_token=vt-123", ""), text(403, "verify token mismatch")},
		{"meta no challenge", "instagram", nil, unsigned("GET", "hub.mode=subscribe&hub.verify_token=vt-123", ""), text(400, "missing hub.challenge")},
		{"meta POST", "facebook", nil, unsigned("POST", "hub.mode=subscribe&hub.challenge=1&hub.verify_token=vt-123", "{}"), nil},
		{"zoom", "zoom", nil, signed("zoom", `{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1,"event":"endpoint.url_validation"}`),
			js(`{"plainToken":"qgg8vlvZRS6UYooatFL8Aw","encryptedToken":"` + mac("secret-A", "qgg8vlvZRS6UYooatFL8Aw") + `"}`)},
		{"zoom unsigned", "zoom", nil, unsigned("POST", "", `{"payload":{"plainToken":"p"},"event":"endpoint.url_validation"}`), nil},
		{"twitch", "twitch", nil, signed("twitch", `{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{}}`,
			"Twitch-Eventsub-Message-Type", "webhook_callback_verification"), text(200, "pogchamp-kappa-360noscope-vohiyo")},
		{"twitch unsigned", "twitch", nil, unsigned("POST", "", `{"challenge":"c"}`, "Twitch-Eventsub-Message-Type", "webhook_callback_verification"), nil},
		{"twitch revocation", "twitch", nil, signed("twitch", `{"subscription":{}}`, "Twitch-Eventsub-Message-Type", "revocation"), nil},
		{"msgraph", "msgraph", nil, unsigned("POST", "validationToken="+url.QueryEscape(graphToken), ""), text(200, graphToken)},
		{"msgraph with a body", "msgraph", nil, unsigned("POST", "validationToken=x", `{"value":[]}`), nil},
		{"discord PING", "discord", nil, signed("discord", `{"type":1,"id":"1","token":"t"}`), js(`{"type":1}`)},
		{"discord unsigned PING", "discord", nil, unsigned("POST", "", `{"type":1}`), nil},
		{"discord command", "discord", nil, signed("discord", `{"type":2,"id":"1"}`), nil},
		{"discord-events PING", "discord-events", nil, signed("discord-events", `{"version":1,"application_id":"1","type":0}`), &Response{Status: 204}},
		{"discord-events unsigned PING", "discord-events", nil, unsigned("POST", "", `{"type":0}`), nil},
		{"dropbox", "dropbox", nil, unsigned("GET", "challenge=abc123", ""), text(200, "abc123")},
		{"dropbox no challenge", "dropbox", nil, unsigned("GET", "", ""), text(400, "missing challenge")},
		{"nylas", "nylas", nil, unsigned("GET", "challenge=bc609b38", ""), text(200, "bc609b38")},
		{"asana", "asana", nil, unsigned("POST", "", "", "X-Hook-Secret", "b537207f20cbfa02357cf448134da559"),
			&Response{Status: 200, Header: http.Header{"X-Hook-Secret": {"b537207f20cbfa02357cf448134da559"}}}},
		{"asana capture", "asana", &Options{}, unsigned("POST", "", "", "X-Hook-Secret", "s"), nil},
		{"notion", "notion", nil, unsigned("POST", "", `{"verification_token":"secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl"}`), &Response{Status: 200}},
		{"notion event", "notion", nil, unsigned("POST", "", `{"verification_token":"x","type":"page.created"}`), nil},
		{"okta", "okta", nil, unsigned("GET", "", "", "X-Okta-Verification-Challenge", "rQO1rUsR0hz6-3wMsUKpNwcSrUD7FmsJHvfE"),
			js(`{"verification":"rQO1rUsR0hz6-3wMsUKpNwcSrUD7FmsJHvfE"}`)},
		{"event grid", "azure-eventgrid", nil, unsigned("POST", "code=secret-A",
			`[{"id":"2d1781af","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}}]`,
			"aeg-event-type", "SubscriptionValidation"), js(`{"validationResponse":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}`)},
		{"event grid wrong code", "azure-eventgrid", nil, unsigned("POST", "code=nope", `[{"data":{"validationCode":"v"}}]`,
			"aeg-event-type", "SubscriptionValidation"), nil},
		{"event grid OPTIONS", "azure-eventgrid", nil, unsigned("OPTIONS", "", "", "WebHook-Request-Origin", "eventgrid.azure.net"),
			&Response{Status: 200, Header: http.Header{"Webhook-Allowed-Origin": {"eventgrid.azure.net"}, "Allow": {"OPTIONS, POST"}}}},
		{"cloudevents OPTIONS", "cloudevents", nil, unsigned("OPTIONS", "", "", "WebHook-Request-Origin", "eventemitter.example.com", "WebHook-Request-Rate", "120"),
			&Response{Status: 200, Header: http.Header{"Webhook-Allowed-Origin": {"eventemitter.example.com"}, "Allow": {"OPTIONS, POST"}, "Webhook-Allowed-Rate": {"*"}}}},
		{"cloudevents OPTIONS no origin", "cloudevents", nil, unsigned("OPTIONS", "", ""), text(400, "missing WebHook-Request-Origin")},
		{"strava", "strava", nil, unsigned("GET", "hub.verify_token=vt-123&hub.challenge=15f7d1a91c1f40f8a748fd134752feb3&hub.mode=subscribe", ""),
			js(`{"hub.challenge":"15f7d1a91c1f40f8a748fd134752feb3"}`)},
		{"strava wrong token", "strava", nil, unsigned("GET", "hub.verify_token=x&hub.challenge=1&hub.mode=subscribe", ""), text(403, "verify token mismatch")},
		{"websub", "websub", nil, unsigned("GET", "hub.mode=subscribe&hub.topic=https%3A%2F%2Fexample.com%2Ffeed&hub.challenge=c1&hub.lease_seconds=86400&hub.verify_token=vt-123", ""), text(200, "c1")},
		{"websub wrong token", "websub", nil, unsigned("GET", "hub.mode=subscribe&hub.challenge=c1&hub.verify_token=x", ""), text(403, "verify token mismatch")},
		{"websub no token configured", "websub", &Options{Secrets: []string{"s"}}, unsigned("GET", "hub.mode=unsubscribe&hub.challenge=c2", ""), text(200, "c2")},
		{"websub denied", "websub", nil, unsigned("GET", "hub.mode=denied&hub.topic=x", ""), &Response{Status: 200}},
		{"ringcentral", "ringcentral", nil, unsigned("POST", "", "", "Validation-Token", "f6bd9ed2-1d8f-44c4-8d76-4e8d8c5b5e2a"),
			&Response{Status: 200, Header: http.Header{"Validation-Token": {"f6bd9ed2-1d8f-44c4-8d76-4e8d8c5b5e2a"}}}},
		{"ebay", "ebay", nil, unsigned("GET", "challenge_code=code-1", ""), js(`{"challengeResponse":"` + hex.EncodeToString(ebaySum[:]) + `"}`)},
		{"xero intent", "xero", nil, signed("xero", `{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}`), &Response{Status: 200}},
		{"xero intent, bad signature", "xero", nil, unsigned("POST", "", `{"events": [ ],"entropy":"x"}`, "x-xero-signature", "AAAA"), &Response{Status: 401}},
		{"xero event", "xero", nil, signed("xero", `{"events":[{"eventCategory":"INVOICE"}]}`), nil},
		{"woocommerce ping", "woocommerce", nil, unsigned("POST", "", "webhook_id=42"), &Response{Status: 200}},
		{"woocommerce signed ping", "woocommerce", nil, signed("woocommerce", "webhook_id=42"), nil},
		{"trello HEAD", "trello", nil, unsigned("HEAD", "", ""), &Response{Status: 200}},
		{"front", "front", nil, signed("front", `{"type":"sync","authorization":{"id":"cmp_abc"}}`, "X-Front-Challenge", "f8b1a7c2"), js(`{"challenge":"f8b1a7c2"}`)},
		{"front unsigned", "front", nil, unsigned("POST", "", `{"type":"sync"}`, "X-Front-Challenge", "f8b1a7c2"), nil},
		{"front event", "front", nil, signed("front", `{"type":"inbound_received"}`), nil},
		{"github GET", "github", nil, unsigned("GET", "challenge=x", ""), nil},
	}
	for _, c := range cases {
		o := h(c.provider).opts("secret-A")
		if c.opts != nil {
			o = *c.opts
		}
		p := newProvider(t, c.provider, o)
		got, ok := p.Challenge(c.req)
		if !ok {
			got = nil
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s: Challenge (-want +got):\n%s", c.name, diff)
		}
		if c.want == nil && strings.HasSuffix(c.name, "unsigned") {
			if reason(p.Verify(c.req)) == "" {
				t.Errorf("%s: Verify accepted an unsigned handshake", c.name)
			}
		}
	}
}

// TestCapture: Asana and Notion without a secret store their handshake,
// answered as the provider requires, and refuse everything else.
func TestCapture(t *testing.T) {
	t.Parallel()
	asana := newProvider(t, "asana", Options{})
	hs := post(nil)
	hs.Header.Set("X-Hook-Secret", "b537207f20cbfa02357cf448134da559")
	if got := reason(asana.Verify(hs)); got != "" {
		t.Errorf("asana: Verify(handshake): got %q, want %q", got, "")
	}
	if got, want := asana.Identify(hs), (Identity{Type: "handshake"}); got != want {
		t.Errorf("asana: Identify: got %+v, want %+v", got, want)
	}
	want := &Response{Status: 200, Header: http.Header{"X-Hook-Secret": {"b537207f20cbfa02357cf448134da559"}}}
	if diff := cmp.Diff(want, asana.(Acker).Ack(hs)); diff != "" {
		t.Errorf("asana: Ack (-want +got):\n%s", diff)
	}
	event := post([]byte(`{"events":[{"action":"changed"}]}`))
	event.Header.Set("X-Hook-Signature", strings.Repeat("0", 64))
	if got, want := reason(asana.Verify(event)), "no secret configured yet: only the handshake is accepted, to capture the secret it issues"; got != want {
		t.Errorf("asana: Verify(event): got %q, want %q", got, want)
	}
	if ack := asana.(Acker).Ack(event); ack != nil {
		t.Errorf("asana: Ack(event): got %+v, want nil", ack)
	}
	if _, err := NewSigner("asana", Options{}); err != nil {
		t.Fatal(err)
	}

	notion := newProvider(t, "notion", Options{})
	v := post([]byte(`{"verification_token":"secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl"}`))
	if got := reason(notion.Verify(v)); got != "" {
		t.Errorf("notion: Verify(verification): got %q, want %q", got, "")
	}
	if _, ok := notion.Challenge(v); ok {
		t.Error("notion: Challenge in capture mode: got true, want the request stored")
	}
	// With the captured token configured, events verify.
	o := Options{Secrets: []string{"secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl"}}
	r := signed(t, "notion", o, []byte(`{"id":"e1","type":"page.created"}`))
	if got := reason(newProvider(t, "notion", o).Verify(r)); got != "" {
		t.Errorf("notion: Verify(event): got %q, want %q", got, "")
	}
	if got, want := newProvider(t, "notion", o).Identify(r), (Identity{DeliveryID: "e1", Type: "page.created"}); got != want {
		t.Errorf("notion: Identify: got %+v, want %+v", got, want)
	}
}

// TestDiscordAck: stored interactions get a deferred response; webhook
// events get 204.
func TestDiscordAck(t *testing.T) {
	t.Parallel()
	h := harness{name: "discord", suite: suites()["discord"]}
	p := h.provider(t, "secret-A")
	for body, want := range map[string]*Response{
		`{"type":2,"id":"1"}`: {Status: 200, ContentType: "application/json", Body: []byte(`{"type":5}`)},
		`{"type":3,"id":"1"}`: {Status: 200, ContentType: "application/json", Body: []byte(`{"type":6}`)},
		`{"type":4,"id":"1"}`: nil,
	} {
		if diff := cmp.Diff(want, p.(Acker).Ack(post([]byte(body)))); diff != "" {
			t.Errorf("Ack(%s) (-want +got):\n%s", body, diff)
		}
	}
	ev := harness{name: "discord-events", suite: suites()["discord-events"]}.provider(t, "secret-A")
	if diff := cmp.Diff(&Response{Status: 204}, ev.(Acker).Ack(post([]byte(`{"type":1,"event":{"type":"APPLICATION_AUTHORIZED"}}`)))); diff != "" {
		t.Errorf("discord-events: Ack (-want +got):\n%s", diff)
	}
	if got, want := ev.Identify(post([]byte(`{"type":1,"event":{"type":"APPLICATION_AUTHORIZED"}}`))), (Identity{Type: "APPLICATION_AUTHORIZED"}); got != want {
		t.Errorf("discord-events: Identify: got %+v, want %+v", got, want)
	}
}
