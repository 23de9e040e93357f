package verify

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The vector of the Standard Webhooks libraries' tests.
const (
	swVectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	swVectorTimestamp = 1614265330
	swVectorBody      = `{"test": 2432232314}`
	swVectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func swVector() *Request {
	r := post([]byte(swVectorBody))
	r.Now = time.Unix(swVectorTimestamp, 0)
	r.Header.Set("webhook-id", swVectorID)
	r.Header.Set("webhook-timestamp", strconv.Itoa(swVectorTimestamp))
	r.Header.Set("webhook-signature", swVectorSignature)
	return r
}

func TestStandardWebhooksVector(t *testing.T) {
	t.Parallel()
	bare := strings.TrimPrefix(swSecret, "whsec_")
	for _, secret := range []string{swSecret, bare} {
		p := newProvider(t, "standardwebhooks", Options{Secrets: []string{secret}})
		if got := reason(p.Verify(swVector())); got != "" {
			t.Errorf("Verify with secret %q: got %q, want %q", secret, got, "")
		}
	}
	s, err := NewSigner("standardwebhooks", Options{Secrets: []string{swSecret}})
	if err != nil {
		t.Fatal(err)
	}
	r := swVector()
	r.Header.Del("webhook-signature")
	r.Header.Del("webhook-timestamp")
	if err := s.Sign(r); err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get("webhook-signature"); got != swVectorSignature {
		t.Errorf("Sign: got %q, want %q", got, swVectorSignature)
	}
	if got := r.Header.Get("webhook-id"); got != swVectorID {
		t.Errorf("Sign kept webhook-id: got %q, want %q", got, swVectorID)
	}
}

func TestStandardWebhooksHeaders(t *testing.T) {
	t.Parallel()
	const ts = swVectorTimestamp
	now := time.Unix(ts, 0)
	cases := []struct {
		name   string
		change func(r *Request)
		opts   Options
		want   string
	}{
		{name: "valid", change: func(r *Request) {}},
		{name: "at the past edge", change: func(r *Request) { r.Now = now.Add(5 * time.Minute) }},
		{name: "at the future edge", change: func(r *Request) { r.Now = now.Add(-5 * time.Minute) }},
		{name: "stale", change: func(r *Request) { r.Now = now.Add(5*time.Minute + time.Second) }, want: "timestamp outside tolerance"},
		{name: "future", change: func(r *Request) { r.Now = now.Add(-5*time.Minute - time.Second) }, want: "timestamp outside tolerance"},
		{name: "wider tolerance", change: func(r *Request) { r.Now = now.Add(time.Hour) }, opts: Options{Tolerance: 2 * time.Hour}},
		{name: "narrower tolerance", change: func(r *Request) { r.Now = now.Add(2 * time.Minute) }, opts: Options{Tolerance: time.Minute}, want: "timestamp outside tolerance"},
		{name: "zero Now", change: func(r *Request) { r.Now = time.Time{} }, want: "timestamp outside tolerance"},
		{name: "far future", change: func(r *Request) { r.Header.Set("webhook-timestamp", "9223372036854775807") }, want: "timestamp outside tolerance"},
		{name: "far past", change: func(r *Request) { r.Header.Set("webhook-timestamp", "-9223372036854775808") }, want: "timestamp outside tolerance"},
		{name: "re-timestamped", change: func(r *Request) { r.Header.Set("webhook-timestamp", strconv.Itoa(ts+1)) }, want: "signature mismatch"},
		{name: "other id", change: func(r *Request) { r.Header.Set("webhook-id", "msg_other") }, want: "signature mismatch"},
		{name: "missing id", change: func(r *Request) { r.Header.Del("webhook-id") }, want: "missing webhook-id header"},
		{name: "empty id", change: func(r *Request) { r.Header.Set("webhook-id", "") }, want: "malformed webhook-id header"},
		{name: "two ids", change: func(r *Request) { r.Header.Add("webhook-id", "msg_2") }, want: "multiple webhook-id headers"},
		{name: "missing timestamp", change: func(r *Request) { r.Header.Del("webhook-timestamp") }, want: "missing webhook-timestamp header"},
		{name: "two timestamps", change: func(r *Request) { r.Header.Add("webhook-timestamp", strconv.Itoa(ts)) }, want: "multiple webhook-timestamp headers"},
		{name: "millisecond timestamp", change: func(r *Request) { r.Header.Set("webhook-timestamp", strconv.Itoa(ts*1000)) }, want: "timestamp outside tolerance"},
		{name: "several signatures", change: func(r *Request) {
			r.Header.Set("webhook-signature", "v1a,"+strings.Repeat("A", 86)+"== v1,"+strings.Repeat("A", 43)+"=  "+swVectorSignature)
		}},
		{name: "signatures on two lines", change: func(r *Request) {
			r.Header.Set("webhook-signature", "v1,"+strings.Repeat("A", 43)+"=")
			r.Header.Add("webhook-signature", swVectorSignature)
		}},
		{name: "unpadded signature", change: func(r *Request) {
			r.Header.Set("webhook-signature", strings.TrimSuffix(swVectorSignature, "="))
		}, want: "malformed webhook-signature header"},
		{name: "signature in another version", change: func(r *Request) {
			r.Header.Set("webhook-signature", "v2,"+strings.TrimPrefix(swVectorSignature, "v1,"))
		}, want: "no v1 signature in webhook-signature header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, "standardwebhooks", withSecrets(c.opts, swSecret))
			r := swVector()
			c.change(r)
			if got := reason(p.Verify(r)); got != c.want {
				t.Errorf("Verify: got %q, want %q", got, c.want)
			}
		})
	}
}

func TestStandardWebhooksMalformedTimestamp(t *testing.T) {
	t.Parallel()
	p := newProvider(t, "standardwebhooks", Options{Secrets: []string{swSecret}})
	for _, ts := range []string{"", "abc", "+1614265330", "01614265330", "1614265330.0", "1.6e9", " 1614265330", "0x5f"} {
		r := swVector()
		r.Header.Set("webhook-timestamp", ts)
		if got, want := reason(p.Verify(r)), "malformed webhook-timestamp header"; got != want {
			t.Errorf("Verify with webhook-timestamp %q: got %q, want %q", ts, got, want)
		}
	}
}

func TestStandardWebhooksSign(t *testing.T) {
	t.Parallel()
	o := Options{Secrets: []string{swSecret}}
	r := signed(t, "standardwebhooks", o, []byte(`{"type":"invoice.paid","data":{}}`))
	id := r.Header.Get("webhook-id")
	if !strings.HasPrefix(id, "msg_") || len(id) < 20 {
		t.Errorf("Sign made webhook-id %q, want msg_ and a random part", id)
	}
	if got, want := r.Header.Get("webhook-timestamp"), strconv.FormatInt(testNow().Unix(), 10); got != want {
		t.Errorf("webhook-timestamp: got %q, want %q", got, want)
	}
	if other := signed(t, "standardwebhooks", o, nil); other.Header.Get("webhook-id") == id {
		t.Errorf("two Signs made the same webhook-id %q", id)
	}
	p := newProvider(t, "standardwebhooks", o)
	if got := reason(p.Verify(r)); got != "" {
		t.Errorf("Verify: got %q, want %q", got, "")
	}
	if got, want := p.Identify(r), (Identity{Type: "invoice.paid", DeliveryID: id}); got != want {
		t.Errorf("Identify: got %+v, want %+v", got, want)
	}
	s, err := NewSigner("standardwebhooks", o)
	if err != nil {
		t.Fatal(err)
	}
	unset := post(nil)
	unset.Now = time.Time{}
	if err := s.Sign(unset); err == nil {
		t.Error("Sign with zero Now: got nil error, want one")
	}
}

func TestStandardWebhooksIdentify(t *testing.T) {
	t.Parallel()
	p := newProvider(t, "standardwebhooks", Options{Secrets: []string{swSecret}})
	cases := []struct{ body, want string }{
		{`{"type":"user.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{}}`, "user.created"},
		{`{"data":{"type":"inner"},"type":"outer"}`, "outer"},
		{`{"Type":"case matters"}`, ""},
		{`{"type":42}`, ""},
		{`{"type":"trunc`, ""},
		{`[]`, ""},
		{``, ""},
	}
	for _, c := range cases {
		r := post([]byte(c.body))
		r.Header.Set("webhook-id", "msg_1")
		if got, want := p.Identify(r), (Identity{Type: c.want, DeliveryID: "msg_1"}); got != want {
			t.Errorf("Identify(%q): got %+v, want %+v", c.body, got, want)
		}
	}
}

func TestStandardWebhooksSecrets(t *testing.T) {
	t.Parallel()
	cases := []struct {
		secrets []string
		want    string
	}{
		{[]string{"whsec_" + base64.StdEncoding.EncodeToString([]byte("k"))}, ""},
		{[]string{"whsec_not base64!"}, `standardwebhooks: secret is not base64 (after an optional "whsec_" prefix)`},
		{[]string{swSecret, "whsec_"}, `standardwebhooks: secret 2 of 2 decodes to an empty key`},
		{[]string{swSecret, "whsec_%%%"}, `standardwebhooks: secret 2 of 2 is not base64 (after an optional "whsec_" prefix)`},
	}
	for _, c := range cases {
		_, err := New("standardwebhooks", Options{Secrets: c.secrets})
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("New(%q): got %q, want %q", c.secrets, got, c.want)
		}
	}
}
