package config

import "testing"

func TestPIDFile(t *testing.T) {
	t.Parallel()
	const head = "sources:\n  - { name: gh, provider: github, secret: s }\nserver:\n"
	for _, tc := range []struct {
		name, value, want string
	}{
		{"absolute", "/run/hookgate/hookgate.pid", ""},
		{"relative", "hookgate.pid", ""},
		{"folder", "/run/hookgate/", `x.yaml:4: server.pid_file: "/run/hookgate/" names a folder; want a file path such as /run/hookgate/hookgate.pid`},
		{"dot", "/run/..", `x.yaml:4: server.pid_file: "/run/.." names a folder; want a file path such as /run/hookgate/hookgate.pid`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("x.yaml", []byte(head+"  pid_file: "+tc.value+"\n"), Options{})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Parse: %v", err)
			case tc.want == "" && c.Server.PIDFile != tc.value:
				t.Errorf("server.pid_file = %q, want %q", c.Server.PIDFile, tc.value)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("Parse error = %v\nwant %s", err, tc.want)
			}
		})
	}
}
