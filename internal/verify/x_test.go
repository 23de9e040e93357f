package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func crcRequest(query url.Values) *Request {
	r := post(nil)
	r.Method = http.MethodGet
	r.URL.RawQuery = query.Encode()
	return r
}

// TestXCRC checks the handshake against an HMAC computed here, as X's
// "Securing webhooks" guide describes it.
func TestXCRC(t *testing.T) {
	t.Parallel()
	const secret = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"
	const token = "9b4507b3-9040-4669-9ca3-6b94edb50553"
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(token))
	wantToken := "sha256=" + base64.StdEncoding.EncodeToString(mac.Sum(nil))

	cases := []struct {
		name    string
		secrets []string
		query   url.Values
		want    *Response
		body    map[string]string
	}{
		{"token", []string{secret}, url.Values{"crc_token": {token}},
			&Response{Status: 200, ContentType: "application/json"}, map[string]string{"response_token": wantToken}},
		{"first secret answers", []string{secret, "older"}, url.Values{"crc_token": {token}, "nonce": {"1"}},
			&Response{Status: 200, ContentType: "application/json"}, map[string]string{"response_token": wantToken}},
		{"no token", []string{secret}, url.Values{},
			&Response{Status: 400, ContentType: "application/json"}, map[string]string{"error": "missing crc_token"}},
		{"empty token", []string{secret}, url.Values{"crc_token": {""}},
			&Response{Status: 400, ContentType: "application/json"}, map[string]string{"error": "missing crc_token"}},
		{"JSON object token", []string{secret}, url.Values{"crc_token": {` {"a":1}`}},
			&Response{Status: 400, ContentType: "application/json"}, map[string]string{"error": "invalid crc_token"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, "x", Options{Secrets: c.secrets})
			resp, ok := p.Challenge(crcRequest(c.query))
			if !ok {
				t.Fatal("Challenge(GET): got ok false, want a handshake")
			}
			var body map[string]string
			if err := json.Unmarshal(resp.Body, &body); err != nil {
				t.Fatalf("body %q: %v", resp.Body, err)
			}
			resp.Body = nil
			if diff := cmp.Diff(c.want, resp); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(c.body, body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestXChallengeOnlyGET(t *testing.T) {
	t.Parallel()
	p := newProvider(t, "x", Options{Secrets: []string{"s"}})
	r := crcRequest(url.Values{"crc_token": {"t"}})
	r.Method = http.MethodPost
	if resp, ok := p.Challenge(r); ok {
		t.Errorf("Challenge(POST): got %+v, true; want no handshake", resp)
	}
	r = crcRequest(nil)
	r.URL = nil
	if resp, ok := p.Challenge(r); !ok || resp.Status != http.StatusBadRequest {
		t.Errorf("Challenge(GET, nil URL): got %+v, %v; want 400", resp, ok)
	}
}

// TestXCRCIsNotASigningOracle: a CRC answer must not sign a body that
// Verify then accepts.
func TestXCRCIsNotASigningOracle(t *testing.T) {
	t.Parallel()
	p := newProvider(t, "x", Options{Secrets: []string{"s"}})
	for _, forged := range []string{"abc", `["a"]`, `"tweet_create_events"`, "\n[{}]"} {
		resp, ok := p.Challenge(crcRequest(url.Values{"crc_token": {forged}}))
		if !ok || resp.Status != http.StatusOK {
			t.Fatalf("Challenge(%q): got %+v, %v; want 200", forged, resp, ok)
		}
		var answer struct {
			ResponseToken string `json:"response_token"`
		}
		if err := json.Unmarshal(resp.Body, &answer); err != nil {
			t.Fatal(err)
		}
		r := post([]byte(forged))
		r.Header.Set("x-twitter-webhooks-signature", answer.ResponseToken)
		if got, want := reason(p.Verify(r)), "body is not a JSON object"; got != want {
			t.Errorf("Verify(%q signed by the CRC): got %q, want %q", forged, got, want)
		}
	}
}

func TestXEventType(t *testing.T) {
	t.Parallel()
	cases := []struct{ body, want string }{
		{`{"for_user_id":"2244994945","tweet_create_events":[{"id":1}]}`, "tweet_create_events"},
		{`{"for_user_id":"1","user_has_blocked":true,"direct_message_events":[],"users":{}}`, "direct_message_events"},
		{`{"meta":{"nested_events":[]},"favorite_events":[]}`, "favorite_events"},
		{`{"for_user_id":"1"}`, ""},
		{`{"a":`, ""},
		{`{"for_user_id":"1",`, ""},
		{`[{"tweet_create_events":[]}]`, ""},
		{`"tweet_create_events"`, ""},
		{``, ""},
		{`not json`, ""},
	}
	p := newProvider(t, "x", Options{Secrets: []string{"s"}})
	for _, c := range cases {
		if got := p.Identify(post([]byte(c.body))); got != (Identity{Type: c.want}) {
			t.Errorf("Identify(%q): got %+v, want %+v", c.body, got, Identity{Type: c.want})
		}
	}
}
