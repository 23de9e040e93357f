package config

import (
	"strings"
	"testing"
)

// TestParseErrors pins every message Parse can give, as printed: one case
// per problem, each a small file and the exact text.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	// ok is a valid config that cases change; its lines are:
	// 1 sources, 2 gh, 3 destinations, 4 app, 5 routes, 6 the route.
	const ok = `sources:
  - { name: gh, provider: github, secret: s }
destinations:
  - { name: app, url: "http://127.0.0.1:9000/hooks" }
routes:
  - { from: [gh], to: [app] }
`
	tests := []struct {
		name string
		file string // default x.yaml
		yml  string
		env  []string
		want string
	}{
		{name: "valid", yml: ok, want: "<nil>"},
		// Reading YAML.
		{name: "syntax", yml: "sources:\n  - { name: gh\n", want: "x.yaml:2: did not find expected ',' or '}'"},
		{name: "tab indent", yml: "sources:\n\t- name: gh\n", want: `x.yaml:2: found character that cannot start any token`},
		{name: "two documents", yml: ok + "---\nlisten: :9\n", want: `x.yaml:7: only one YAML document is allowed`},
		{name: "not a mapping", yml: "- a\n", want: "x.yaml:1: expected a mapping, got a list"},
		{name: "unknown top-level field", yml: "listn: :8080\n" + ok, want: `x.yaml:1: unknown field "listn"`},
		{name: "unknown source field", yml: "sources:\n  - { name: a, provider: github, secret: s }\n  - { name: b, provider: github, secert: s }\n",
			want: `x.yaml:3: sources[1]: unknown field "secert"`},
		{name: "unknown nested field", yml: replace(ok, `url: "http://127.0.0.1:9000/hooks"`, `url: "http://h/", retry: { attempts: 3 }`),
			want: `x.yaml:4: destinations[0].retry: unknown field "attempts"`},
		{name: "duplicate field", yml: "listen: :1\nlisten: :2\n", want: `x.yaml:2: duplicate field "listen" (first at line 1)`},
		{name: "non-scalar key", yml: "? [a]\n: b\n", want: `x.yaml:1: expected a field name, got a list`},
		{name: "list for mapping", yml: "storage: [sqlite]\n", want: `x.yaml:1: storage: expected a mapping, got a list`},
		{name: "scalar for list", yml: replace(ok, "from: [gh]", "from: gh"), want: `x.yaml:6: routes[0].from: expected a list, got "gh"`},
		{name: "mapping for list", yml: "sources: { name: gh }\n", want: `x.yaml:1: sources: expected a list, got a mapping`},
		{name: "list for string", yml: replace(ok, "name: gh", "name: [gh]"), want: `x.yaml:2: sources[0].name: expected a string, got a list`},
		{name: "syntax on line 1", yml: "listen: a: b\n" + ok, want: "x.yaml:1: mapping values are not allowed in this context"},
		{name: "unclosed list", yml: "listen: [\n", want: "x.yaml:2: did not find expected node content"},
		{name: "unquoted reference in flow mapping", yml: "storage: { driver: postgres, dsn: ${DATABASE_URL} }\n",
			want: `x.yaml:1: did not find expected ',' or '}' (inside { } or [ ], quote values that use ${...}: "${NAME}")`},
		{name: "unquoted reference in flow list", yml: replace(ok, "from: [gh]", "from: [gh, ${MORE}]"),
			want: `x.yaml:6: did not find expected ',' or ']' (inside { } or [ ], quote values that use ${...}: "${NAME}")`},
		{name: "control character", yml: "listen: \"\x01\"\n", want: "x.yaml: control characters are not allowed"},
		{name: "bad alias", yml: "listen: *nope\n", want: `x.yaml: unknown anchor 'nope' referenced`},
		{name: "merge of a scalar", yml: "storage: { <<: x }\n", want: `x.yaml:1: storage: merge (<<) needs a mapping or a list of mappings, got "x"`},
		// Numbers, durations, sizes.
		{name: "invalid duration", file: "quickstart.yaml", yml: `listen: "127.0.0.1:8080"
storage: { driver: sqlite, path: ./data/hookgate.db }
sources:
  - { name: github, provider: github, secret: s }
destinations:
  - name: app
    retry: { initial: 5x }
`, want: `quickstart.yaml:7: destinations[0].retry.initial: invalid duration "5x"`},
		{name: "duration without unit", yml: "delivery: { lease: 60 }\n", want: `x.yaml:1: delivery.lease: invalid duration "60": missing unit (as in "60s")`},
		{name: "negative duration", yml: "server: { read_timeout: -1s }\n", want: `x.yaml:1: server.read_timeout: invalid duration "-1s": must not be negative`},
		{name: "zero duration", yml: "delivery:\n  poll: 0s\n", want: `x.yaml:2: delivery.poll: must be greater than 0 (leave it out for the default)`},
		{name: "duration as list", yml: "delivery: { poll: [1s] }\n", want: `x.yaml:1: delivery.poll: expected a duration such as "5s", got a list`},
		{name: "invalid size", yml: replace(ok, "secret: s", "secret: s, max_body: 1XB"), want: `x.yaml:2: sources[0].max_body: invalid size "1XB": unknown unit "XB" (use B, KB, MB, GB, KiB, MiB, GiB)`},
		{name: "negative size", yml: "server: { max_header_bytes: -5 }\n", want: `x.yaml:1: server.max_header_bytes: invalid size "-5": must not be negative`},
		{name: "invalid integer", yml: "delivery: { batch: lots }\n", want: `x.yaml:1: delivery.batch: invalid integer "lots"`},
		{name: "hex integer", yml: "delivery: { batch: 0x10 }\n", want: `x.yaml:1: delivery.batch: invalid integer "0x10"`},
		{name: "huge integer", yml: "delivery: { batch: 99999999999999999999 }\n", want: `x.yaml:1: delivery.batch: integer "99999999999999999999" is too large`},
		{name: "zero integer", yml: replace(ok, `url: "http://127.0.0.1:9000/hooks"`, `url: "http://h/", retry: { max_attempts: 0 }`),
			want: `x.yaml:4: destinations[0].retry.max_attempts: must be greater than 0 (leave it out for the default)`},
		{name: "negative integer", yml: replace(ok, `url: "http://127.0.0.1:9000/hooks"`, `url: "http://h/", concurrency: -2`),
			want: `x.yaml:4: destinations[0].concurrency: must be greater than 0, got -2`},
		// Interpolation.
		{name: "unset variable", yml: replace(ok, "secret: s", `secret: "${GITHUB_WEBHOOK_SECRET}"`),
			want: `x.yaml:2: sources[0].secret: environment variable GITHUB_WEBHOOK_SECRET is not set`},
		{name: "empty variable", yml: replace(ok, "secret: s", `secret: "${S}"`), env: []string{"S", ""},
			want: `x.yaml:2: sources[0].secret: environment variable S is not set`},
		{name: "variable in a duration", yml: "delivery: { lease: \"${LEASE}\" }\n", want: `x.yaml:1: delivery.lease: environment variable LEASE is not set`},
		{name: "variable in a map", yml: replace(ok, `url: "http://127.0.0.1:9000/hooks"`, "url: \"http://h/\", headers: { Authorization: \"Bearer ${TOKEN}\" }"),
			want: `x.yaml:4: destinations[0].headers.Authorization: environment variable TOKEN is not set`},
		{name: "variable in a list", yml: replace(ok, "from: [gh]", "from: [gh, \"${MORE}\"]"), want: `x.yaml:6: routes[0].from[1]: environment variable MORE is not set`},
		{name: "invalid reference", yml: replace(ok, "secret: s", `secret: "${lower-case}"`),
			want: `x.yaml:2: sources[0].secret: invalid variable reference "${lower-case}" (want ${NAME} or ${NAME:-default})`},
		{name: "unterminated reference", yml: replace(ok, "secret: s", `secret: "${S"`),
			want: `x.yaml:2: sources[0].secret: unterminated variable reference "${S" (write $${ for a literal ${)`},
		// Top level.
		{name: "listen", yml: "listen: \"8080\"\n" + ok, want: `x.yaml:1: listen: invalid address "8080" (want host:port or :port)`},
		{name: "unknown storage driver", yml: "storage: { driver: mysql }\n" + ok, want: `x.yaml:1: storage.driver: unknown driver "mysql" (want sqlite or postgres)`},
		{name: "postgres without dsn", yml: "storage:\n  driver: postgres\n" + ok, want: `x.yaml:2: storage.dsn: required for driver "postgres"`},
		{name: "postgres with path", yml: "storage: { driver: postgres, dsn: postgres://db, path: x.db }\n" + ok, want: `x.yaml:1: storage.path: not used by driver "postgres"`},
		{name: "sqlite with dsn", yml: "storage: { dsn: postgres://db }\n" + ok, want: `x.yaml:1: storage.dsn: not used by driver "sqlite" (did you mean driver: postgres?)`},
		{name: "log level", yml: "log: { level: verbose }\n" + ok, want: `x.yaml:1: log.level: invalid value "verbose" (want debug, info, warn, error)`},
		{name: "log format", yml: "log:\n  format: xml\n" + ok, want: `x.yaml:2: log.format: invalid value "xml" (want json, text)`},
		// Sources.
		{name: "source name required", yml: replace(ok, "name: gh, ", ""), want: `x.yaml:2: sources[0].name: required
x.yaml:6: routes[0].from[0]: unknown source "gh"`},
		{name: "source name traversal", yml: replace(ok, "name: gh", `name: "../etc"`), want: `x.yaml:2: sources[0].name: invalid name "../etc": use 1 to 64 letters, digits, '-' or '_'
x.yaml:6: routes[0].from[0]: unknown source "gh"`},
		{name: "source name too long", yml: replace(ok, "name: gh", "name: "+strings.Repeat("a", 65)),
			want: `x.yaml:2: sources[0].name: invalid name "` + strings.Repeat("a", 65) + `": use 1 to 64 letters, digits, '-' or '_'
x.yaml:6: routes[0].from[0]: unknown source "gh"`},
		{name: "duplicate source", yml: replace(ok, "  - { name: gh, provider: github, secret: s }\n", "  - { name: gh, provider: github, secret: s }\n  - { name: gh, provider: x, secret: t }\n"), want: `x.yaml:3: sources[1].name: duplicate name "gh" (also sources[0], line 2)`},
		{name: "provider required", yml: replace(ok, "provider: github, ", ""), want: `x.yaml:2: sources[0].provider: required`},
		{name: "unknown provider", yml: replace(ok, "provider: github", "provider: gitlab"), want: `x.yaml:2: sources[0]: unknown provider "gitlab"`},
		{name: "secret required", yml: replace(ok, ", secret: s", ""), want: `x.yaml:2: sources[0].secret: required by provider "github"`},
		{name: "hmac block required", yml: replace(ok, "provider: github", "provider: hmac"), want: `x.yaml:2: sources[0].hmac: required for provider "hmac" (at least { header: x-signature })`},
		{name: "hmac header required", yml: replace(ok, "provider: github, secret: s", "provider: hmac, secret: s, hmac: { algorithm: sha256 }"), want: `x.yaml:2: sources[0].hmac.header: required`},
		{name: "hmac algorithm and encoding", yml: replace(ok, "provider: github, secret: s", "provider: hmac, secret: s, hmac: { header: x-sig, algorithm: md5, encoding: b32 }"), want: `x.yaml:2: sources[0].hmac.algorithm: invalid value "md5" (want sha1, sha256, sha512)
x.yaml:2: sources[0].hmac.encoding: invalid value "b32" (want hex, base64)`},
		{name: "hmac header name", yml: replace(ok, "provider: github, secret: s", `provider: hmac, secret: s, hmac: { header: "x sig", delivery_id_header: "a:b" }`), want: `x.yaml:2: sources[0].hmac.header: invalid header name "x sig"
x.yaml:2: sources[0].hmac.delivery_id_header: invalid header name "a:b"`},
		{name: "hmac block on another provider", yml: replace(ok, "secret: s", "secret: s, hmac: { header: x-sig }"), want: `x.yaml:2: sources[0].hmac: only used by provider "hmac", not "github"`},
		// Destinations.
		{name: "destination name required", yml: replace(ok, "name: app, ", ""), want: `x.yaml:4: destinations[0].name: required
x.yaml:6: routes[0].to[0]: unknown destination "app"`},
		{name: "duplicate destination", yml: replace(ok, "destinations:\n", "destinations:\n  - { name: app, type: log }\n"), want: `x.yaml:5: destinations[1].name: duplicate name "app" (also destinations[0], line 4)`},
		{name: "url required", yml: replace(ok, `url: "http://127.0.0.1:9000/hooks"`, "timeout: 1s"), want: `x.yaml:4: destinations[0].url: required (or set type: log)`},
		{name: "http without url", yml: replace(ok, `url: "http://127.0.0.1:9000/hooks"`, "type: http"), want: `x.yaml:4: destinations[0].url: required`},
		{name: "unknown type", yml: replace(ok, `url: "http://127.0.0.1:9000/hooks"`, "type: ftp"), want: `x.yaml:4: destinations[0].type: unknown type "ftp" (want http, log, exec, file, s3, amqp, redis, beanstalkd, nats, sqs or listen)`},
		{name: "exec without block", yml: replace(ok, `url: "http://127.0.0.1:9000/hooks"`, "type: exec"), want: `x.yaml:4: destinations[0].exec: required for type "exec"`},
		{name: "relative url", yml: replace(ok, "http://127.0.0.1:9000/hooks", "/hooks"), want: `x.yaml:4: destinations[0].url: must be an absolute http or https URL, got "/hooks"`},
		{name: "ftp url", yml: replace(ok, "http://127.0.0.1:9000/hooks", "ftp://user:pass@h/in"), want: `x.yaml:4: destinations[0].url: must be an absolute http or https URL, got "ftp://user:xxxxx@h/in"`},
		{name: "unparsable url", yml: replace(ok, "http://127.0.0.1:9000/hooks", "http://user:pa ss@h:port/"), want: `x.yaml:4: destinations[0].url: invalid URL: invalid port ":port" after host`},
		{name: "log with url", yml: replace(ok, `url: "http://127.0.0.1:9000/hooks"`, `type: log, url: "http://h/"`), want: `x.yaml:4: destinations[0].url: not used by type "log"`},
		{name: "method", yml: replace(ok, `url: "http://127.0.0.1:9000/hooks"`, `url: "http://h/", method: post`), want: `x.yaml:4: destinations[0].method: invalid method "post" (want an upper-case HTTP method such as POST)`},
		{name: "header name and value", yml: replace(ok, `url: "http://127.0.0.1:9000/hooks"`, "url: \"http://h/\", headers: { \"Bad Name\": x, X-Ok: \"a\\r\\nInjected: b\" }"), want: `x.yaml:4: destinations[0].headers["Bad Name"]: invalid header name "Bad Name"
x.yaml:4: destinations[0].headers.X-Ok: invalid header value (contains a line break or NUL)`},
		{name: "initial exceeds max", yml: replace(ok, `url: "http://127.0.0.1:9000/hooks"`, `url: "http://h/", retry: { initial: 2h }`), want: `x.yaml:4: destinations[0].retry.initial: must not exceed retry.max (1h), got 2h`},
		{name: "timeout not under lease", yml: "delivery: { lease: 30s }\n" + replace(ok, `url: "http://127.0.0.1:9000/hooks"`, `url: "http://h/", timeout: 30s`), want: `x.yaml:5: destinations[0].timeout: must be shorter than delivery.lease (30s), got 30s`},
		{name: "default timeout not under lease", yml: "delivery: { lease: 5s }\n" + ok, want: `x.yaml:5: destinations[0].timeout: must be shorter than delivery.lease (5s), got 10s`},
		// Routes.
		{name: "route from required", yml: replace(ok, "from: [gh], ", ""), want: `x.yaml:6: routes[0].from: required`},
		{name: "route to empty", yml: replace(ok, "to: [app]", "to: []"), want: `x.yaml:6: routes[0].to: required`},
		{name: "unknown source", yml: replace(ok, "from: [gh]", "from: [gh, gitlab]"), want: `x.yaml:6: routes[0].from[1]: unknown source "gitlab"`},
		{name: "unknown destination", yml: replace(ok, "to: [app]", "to: [ap]"), want: `x.yaml:6: routes[0].to[0]: unknown destination "ap"`},
		{name: "duplicate in route", yml: replace(ok, "to: [app]", "to: [app, app]"), want: `x.yaml:6: routes[0].to[1]: duplicate destination "app"`},
		{name: "route lists on lines", yml: replace(ok, "  - { from: [gh], to: [app] }\n", "  - from:\n      - gh\n      - gitlab\n    to: [app]\n"), want: `x.yaml:8: routes[0].from[1]: unknown source "gitlab"`},
		// Many problems at once, in file order.
		{name: "all at once", yml: `listen: ""
sources:
  - { name: gh, provider: gitlab, secret: s }
  - { name: gh, provider: github }
destinations:
  - { name: app, url: "ftp://h/", retry: { initial: 1m, max: 1s } }
routes:
  - { from: [github], to: [app, nope] }
log: { level: loud }
`, want: `x.yaml:3: sources[0]: unknown provider "gitlab"
x.yaml:4: sources[1].name: duplicate name "gh" (also sources[0], line 3)
x.yaml:4: sources[1].secret: required by provider "github"
x.yaml:6: destinations[0].url: must be an absolute http or https URL, got "ftp://h/"
x.yaml:6: destinations[0].retry.initial: must not exceed retry.max (1s), got 1m
x.yaml:8: routes[0].from[0]: unknown source "github"
x.yaml:8: routes[0].to[1]: unknown destination "nope"
x.yaml:9: log.level: invalid value "loud" (want debug, info, warn, error)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := tt.file
			if file == "" {
				file = "x.yaml"
			}
			_, err := Parse(file, []byte(tt.yml), Options{Getenv: env(tt.env...), CheckSource: checkSource})
			got := "<nil>"
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s\nfile:\n%s", got, tt.want, tt.yml)
			}
		})
	}
}

// replace returns s with old replaced by new, and panics if old is missing,
// so that a case cannot silently test the unchanged config.
func replace(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic("replace: " + old + " not found")
	}
	return strings.Replace(s, old, new, 1)
}
