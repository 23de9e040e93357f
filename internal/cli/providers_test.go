package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestProvidersCmd(t *testing.T) {
	t.Parallel()
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		cmd := newProvidersCmd(&env{stdout: &out})
		cmd.SetArgs(args)
		cmd.SetOut(&out)
		err := cmd.Execute()
		return out.String(), err
	}
	out, err := run()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 50 {
		t.Errorf("got %d lines, want a line per preset (50 or more)", len(lines))
	}
	if !strings.Contains(out, "github ") || !strings.Contains(out, "HMAC-SHA256 of {body}, hex after sha256=, in X-Hub-Signature-256") {
		t.Errorf("github line missing or wrong:\n%s", out)
	}
	out, err = run("stripe")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"provider:", "stripe", "Stripe-Signature", "docs:", "https://docs.stripe.com/webhooks#verify-events"} {
		if !strings.Contains(out, want) {
			t.Errorf("providers stripe lacks %q:\n%s", want, out)
		}
	}
	if _, err := run("nope"); err == nil || !strings.Contains(err.Error(), `unknown provider "nope"`) {
		t.Errorf("providers nope: got %v", err)
	}
}
