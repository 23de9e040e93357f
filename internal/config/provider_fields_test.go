package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestProviderFields: the fields some providers need decode, and a source
// that needs no secret is the provider check's to accept.
func TestProviderFields(t *testing.T) {
	t.Parallel()
	yml := `
sources:
  - name: sms
    provider: vonage-sms
    secret: s
    signature_method: sha256hmac
  - name: tw
    provider: twilio
    secret: s
    public_url: https://hooks.example.com/in/tw
  - name: wa
    provider: whatsapp
    secret: s
    verify_token: ${VERIFY}
  - name: dc
    provider: discord
    public_key: 3f1e
destinations: [{ name: d, type: log }]
routes: [{ from: [sms, tw, wa, dc], to: [d] }]
`
	var seen []Source
	c, err := Parse("p.yaml", []byte(yml), Options{
		Getenv:      func(string) string { return "vt-1" },
		CheckSource: func(s Source) error { seen = append(seen, s); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	type fields struct{ Name, SignatureMethod, PublicURL, VerifyToken, PublicKey, Secret string }
	var got []fields
	for _, s := range c.Sources {
		got = append(got, fields{s.Name, s.SignatureMethod, s.PublicURL, s.VerifyToken, s.PublicKey, s.Secret})
	}
	want := []fields{
		{Name: "sms", SignatureMethod: "sha256hmac", Secret: "s"},
		{Name: "tw", PublicURL: "https://hooks.example.com/in/tw", Secret: "s"},
		{Name: "wa", VerifyToken: "vt-1", Secret: "s"},
		{Name: "dc", PublicKey: "3f1e"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	if len(seen) != 4 {
		t.Errorf("CheckSource saw %d sources, want 4", len(seen))
	}

	_, err = Parse("p.yaml", []byte(strings.Replace(yml, "public_url:", "publicurl:", 1)), Options{Getenv: func(string) string { return "x" }})
	if err == nil || !strings.Contains(err.Error(), `p.yaml:10: sources[1]: unknown field "publicurl"`) {
		t.Errorf("misspelt field: got %v", err)
	}
}
