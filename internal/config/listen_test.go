package config

import "testing"

func TestListenDestination(t *testing.T) {
	t.Parallel()
	yml := destFile("  - name: d\n    listen: { token: \"${LISTEN_TOKEN}\" }\n")
	c, err := Parse("x.yaml", []byte(yml), Options{Getenv: env("LISTEN_TOKEN", "0123456789abcdef0123")})
	if err != nil {
		t.Fatal(err)
	}
	d := c.Destinations[0]
	if d.Type != "listen" || d.Listen == nil || d.Listen.Token != "0123456789abcdef0123" {
		t.Errorf("got type %q, listen %+v; want type listen with the token", d.Type, d.Listen)
	}
	if d.Concurrency != 1 {
		t.Errorf("got concurrency %d, want 1 (the listen default)", d.Concurrency)
	}
}

func TestListenDestinationErrors(t *testing.T) {
	t.Parallel()
	const tok = "0123456789abcdef"
	tests := []struct {
		name string
		dest string
		want string
	}{
		{"no block", "  - { name: d, type: listen }\n",
			`x.yaml:4: destinations[0].listen: required for type "listen": { token: ${LISTEN_TOKEN} }`},
		{"no token", "  - { name: d, listen: {} }\n",
			`x.yaml:4: destinations[0].listen.token: required (such as ${LISTEN_TOKEN}; make one with: openssl rand -hex 24)`},
		{"short token", "  - { name: d, listen: { token: abc } }\n",
			`x.yaml:4: destinations[0].listen.token: too short: at least 16 characters (make one with: openssl rand -hex 24)`},
		{"block on http", "  - { name: d, url: \"http://h/\", listen: { token: " + tok + " } }\n",
			`x.yaml:4: destinations[0].listen: only used by type "listen", not "http"`},
		{"url", "  - { name: d, type: listen, url: \"http://h/\", listen: { token: " + tok + " } }\n",
			`x.yaml:4: destinations[0].url: not used by type "listen" (the listener names its local URL with --to)`},
		{"shared token", "  - { name: d, listen: { token: " + tok + " } }\n  - { name: e, listen: { token: " + tok + " } }\n",
			`x.yaml:5: destinations[1].listen.token: the same as destinations[0].listen.token: each listen destination needs its own token`},
		{"secret", "  - { name: d, secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, listen: { token: " + tok + " } }\n",
			`x.yaml:4: destinations[0].secret: only used by type "http" (it signs forwarded requests)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			yml := destFile(tt.dest)
			_, err := Parse("x.yaml", []byte(yml), Options{})
			got := "<nil>"
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s\nfile:\n%s", got, tt.want, yml)
			}
		})
	}
}
