package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// destFile is a config whose one destination (line 4 on) is dest, routed
// from one source.
func destFile(dest string) string {
	return "sources:\n  - { name: gh, provider: github, secret: s }\ndestinations:\n" + dest + "routes:\n  - { from: [gh], to: [d] }\n"
}

func TestDestinationKinds(t *testing.T) {
	t.Parallel()
	yml := destFile(`  - name: d
    exec:
      command: [/bin/sh, -c, "cat > /dev/null"]
      env: { MODE: "${MODE}" }
      pass_env: [DEPLOY_TARGET]
      headers: [X-GitHub-Event]
      permanent_exit_codes: [64, 65]
  - name: f
    file: { path: /tmp/events.jsonl }
  - name: s
    s3:
      bucket: hooks
      endpoint: "http://127.0.0.1:9000"
      path_style: true
      access_key_id: "${AK}"
      secret_access_key: "${SK}"
      metadata_headers: [X-GitHub-Event]
  - name: h
    url: "https://hooks.example.com/in"
    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
    allow_cidrs: [10.1.2.0/24]
    tls: { ca_file: /etc/ca.pem }
  - name: h2
    url: "https://other.example.com/in"
    ssrf_guard: false
`)
	// Types come from the blocks; delivery.ssrf_guard turns on h's guard
	// (which its allow_cidrs need), and h2 turns it off for itself.
	yml = "delivery: { ssrf_guard: true }\n" + yml
	c, err := Parse("x.yaml", []byte(yml), Options{Getenv: env("MODE", "live", "AK", "ak", "SK", "sk")})
	if err != nil {
		t.Fatal(err)
	}
	on, off := true, false
	want := []Destination{
		{Type: "exec", Exec: &ExecDestination{
			Command: []string{"/bin/sh", "-c", "cat > /dev/null"}, Env: map[string]string{"MODE": "live"},
			PassEnv: []string{"DEPLOY_TARGET"}, Headers: []string{"X-GitHub-Event"}, PermanentExitCodes: []int{64, 65},
		}},
		{Type: "file", File: &FileDestination{Path: "/tmp/events.jsonl", Sync: "always"}},
		{Type: "s3", S3: &S3Destination{
			Bucket: "hooks", Key: "{source}/{date}/{id}.json", Endpoint: "http://127.0.0.1:9000", Region: "us-east-1",
			PathStyle: true, AccessKeyID: "ak", SecretAccessKey: "sk", MetadataHeaders: []string{"X-GitHub-Event"},
		}},
		{Type: "http", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", SSRFGuard: &on, AllowCIDRs: []string{"10.1.2.0/24"},
			TLS: &DestinationTLS{CAFile: "/etc/ca.pem"}},
		{Type: "http", SSRFGuard: &off},
	}
	var got []Destination
	for _, d := range c.Destinations {
		got = append(got, Destination{Type: d.Type, Exec: d.Exec, File: d.File, S3: d.S3, Secret: d.Secret,
			SSRFGuard: d.SSRFGuard, AllowCIDRs: d.AllowCIDRs, TLS: d.TLS})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("destinations (-want +got):\n%s", diff)
	}
}

func TestDestinationKindErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		dest string
		want string
	}{
		{"exec without command", "  - { name: d, exec: { dir: / } }\n",
			`x.yaml:4: destinations[0].exec.command: required: the program and its arguments, such as [/usr/local/bin/deploy, --quiet]`},
		{"exec missing dir", "  - { name: d, exec: { command: [x], dir: /no/such/dir } }\n",
			`x.yaml:4: destinations[0].exec.dir: cannot use the folder: stat /no/such/dir: no such file or directory`},
		{"exec reserved env", "  - { name: d, exec: { command: [x], env: { HOOKGATE_SOURCE: x } } }\n",
			`x.yaml:4: destinations[0].exec.env.HOOKGATE_SOURCE: HOOKGATE_ variables are set by hookgate`},
		{"exec bad env name", "  - { name: d, exec: { command: [x], env: { \"A-B\": x } } }\n",
			`x.yaml:4: destinations[0].exec.env.A-B: invalid variable name "A-B"`},
		{"exec exit code 200", "  - name: d\n    exec:\n      command: [x]\n      permanent_exit_codes: [2, 200]\n",
			`x.yaml:7: destinations[0].exec.permanent_exit_codes[1]: 200: must be 1 to 199 (the attempt's status holds the exit code, and 200 to 299 read as success)`},
		{"exec exit code 0", "  - { name: d, exec: { command: [x], permanent_exit_codes: [0] } }\n",
			`x.yaml:4: destinations[0].exec.permanent_exit_codes[0]: must be greater than 0 (leave it out for the default)`},
		{"exec with url", "  - { name: d, type: exec, url: \"http://h/\", exec: { command: [x] } }\n",
			`x.yaml:4: destinations[0].url: not used by type "exec"`},
		{"type without block", "  - { name: d, type: file }\n",
			`x.yaml:4: destinations[0].file: required for type "file"`},
		{"block of another type", "  - { name: d, url: \"http://h/\", file: { path: x } }\n",
			`x.yaml:4: destinations[0].file: only used by type "file", not "http"`},
		{"file bad sync", "  - { name: d, file: { path: x, sync: sometimes } }\n",
			`x.yaml:4: destinations[0].file.sync: invalid value "sometimes" (want always, never)`},
		{"file without path", "  - { name: d, file: { sync: never } }\n",
			`x.yaml:4: destinations[0].file.path: required`},
		{"s3 bad variable", "  - name: d\n    s3:\n      bucket: b\n      key: \"{source}/{month_name}.json\"\n      access_key_id: a\n      secret_access_key: s\n",
			`x.yaml:7: destinations[0].s3.key: unknown variable {month_name} (known: {source}, {type}, {id}, {event_id}, {provider_delivery_id}, {delivery_id}, {date}, {year}, {month}, {day}, {hour}, {ext})`},
		{"s3 unclosed brace", "  - { name: d, s3: { bucket: b, key: \"{source\", access_key_id: a, secret_access_key: s } }\n",
			`x.yaml:4: destinations[0].s3.key: '{' without '}' in "{source"`},
		{"s3 missing credentials", "  - { name: d, s3: { bucket: b } }\n",
			"x.yaml:4: destinations[0].s3.access_key_id: required (such as ${AWS_ACCESS_KEY_ID})\n" +
				"x.yaml:4: destinations[0].s3.secret_access_key: required (such as ${AWS_SECRET_ACCESS_KEY})"},
		{"s3 bad endpoint", "  - { name: d, s3: { bucket: b, endpoint: \"minio:9000\", access_key_id: a, secret_access_key: s } }\n",
			`x.yaml:4: destinations[0].s3.endpoint: must be an absolute http or https URL, got "minio:9000"`},
		{"bad cidr", "  - name: d\n    url: \"http://h/\"\n    ssrf_guard: true\n    allow_cidrs: [10.0.0.0/33]\n",
			`x.yaml:7: destinations[0].allow_cidrs[0]: invalid CIDR "10.0.0.0/33" (want a network such as 10.0.0.0/8, or an address)`},
		{"allow_cidrs without guard", "  - { name: d, url: \"http://h/\", allow_cidrs: [10.0.0.0/8] }\n",
			`x.yaml:4: destinations[0].allow_cidrs: only used with ssrf_guard: true`},
		{"secret on log", "  - { name: d, type: log, secret: x }\n",
			`x.yaml:4: destinations[0].secret: only used by type "http" (it signs forwarded requests)`},
		{"tls on file", "  - { name: d, file: { path: x }, tls: { ca_file: x } }\n",
			`x.yaml:4: destinations[0]: ssrf_guard, allow_cidrs and tls are only used by types "http" and "s3"`},
		{"tls cert without key", "  - { name: d, url: \"https://h/\", tls: { cert_file: c.pem } }\n",
			`x.yaml:4: destinations[0].tls.cert_file: cert_file and key_file go together`},
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
