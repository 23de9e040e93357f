package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/verify"
)

// TestSendProviders sends with presets that sign the body, the query or a
// changed body, to a server that verifies as the gateway does.
func TestSendProviders(t *testing.T) {
	t.Parallel()
	cases := []struct {
		provider string
		opts     verify.Options
		flags    sendFlags
	}{
		{"github", verify.Options{Secrets: []string{"s"}}, sendFlags{}},
		{"mailgun", verify.Options{Secrets: []string{"s"}}, sendFlags{}},
		{"twilio", verify.Options{Secrets: []string{"s"}}, sendFlags{}},
		{"vonage-sms", verify.Options{Secrets: []string{"s"}, SignatureMethod: "md5hash"},
			sendFlags{signatureMethod: "md5hash", contentType: "application/x-www-form-urlencoded"}},
	}
	for _, c := range cases {
		var got string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			p, err := verify.New(c.provider, c.opts)
			if err != nil {
				t.Error(err)
				return
			}
			u := *r.URL
			u.Scheme, u.Host = "http", r.Host
			err = p.Verify(&verify.Request{Method: r.Method, URL: &u, Header: r.Header, Body: body, Now: time.Now()})
			if err != nil {
				got = err.Error()
				w.WriteHeader(http.StatusUnauthorized)
			}
		}))
		f := c.flags
		f.provider, f.secret, f.url, f.method, f.timeout = c.provider, "s", srv.URL+"/in/x", http.MethodPost, 5*time.Second
		f.body = "-"
		if f.contentType == "" {
			f.contentType = "application/json"
		}
		f.hmac = verify.HMACOptions{Algorithm: "sha256", Encoding: "hex"} // the flags' defaults
		var out bytes.Buffer
		body := `{"a":"Café"}`
		if c.provider == "vonage-sms" {
			body = "msisdn=1&text=hi+there&messageId=m1"
		}
		e := &env{stdin: strings.NewReader(body), stdout: &out, stderr: io.Discard, getenv: func(string) string { return "" }}
		if err := runSend(context.Background(), e, f); err != nil || got != "" {
			t.Errorf("%s: send: %v, server: %q, output: %s", c.provider, err, got, out.String())
		}
		srv.Close()
	}
}
