package app

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/verify"
)

func TestVerifyOptions(t *testing.T) {
	t.Parallel()
	s := config.Source{
		Provider: "vonage-sms", Secret: "a", Secrets: []string{"b"}, Tolerance: config.Duration(60e9),
		PublicURL: "https://h.example/in/x", VerifyToken: "vt", PublicKey: "pk", SignatureMethod: "md5hash",
	}
	want := verify.Options{
		Secrets: []string{"a", "b"}, Tolerance: 60e9,
		PublicURL: "https://h.example/in/x", VerifyToken: "vt", PublicKey: "pk", SignatureMethod: "md5hash",
	}
	if diff := cmp.Diff(want, VerifyOptions(s)); diff != "" {
		t.Errorf("VerifyOptions (-want +got):\n%s", diff)
	}
}

// TestCheckSourceProviders: public-key sources need no secret, and options
// a provider does not use are refused.
func TestCheckSourceProviders(t *testing.T) {
	t.Parallel()
	cases := []struct {
		src  config.Source
		want string
	}{
		{config.Source{Provider: "discord", PublicKey: strings.Repeat("ab", 32)}, ""},
		{config.Source{Provider: "sendgrid"}, "sendgrid: public_key is required"},
		{config.Source{Provider: "twilio", Secret: "t", PublicURL: "https://h.example/in/tw"}, ""},
		{config.Source{Provider: "meta", Secret: "s", VerifyToken: "vt"}, ""},
		{config.Source{Provider: "github", Secret: "s", PublicURL: "https://h.example/in/gh"}, "github: public_url is set, but github does not sign the URL"},
		{config.Source{Provider: "vonage-sms", Secret: "s", SignatureMethod: "sha256hmac"}, ""},
	}
	for _, c := range cases {
		err := CheckSource(c.src)
		if got := errString(err); !strings.HasPrefix(got, c.want) || (c.want == "" && got != "") {
			t.Errorf("CheckSource(%s): got %q, want %q", c.src.Provider, got, c.want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
