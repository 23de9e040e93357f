package route

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/event"
)

// push is a GitHub push to main, as hookgate stores it.
func push() *event.Event {
	return &event.Event{
		ID:     "0190a1b2-0000-7000-8000-000000000001",
		Source: "github",
		Method: "POST",
		Query:  "env=prod&tag=a&tag=b",
		Header: http.Header{
			"Content-Type":      {"application/json"},
			"X-Github-Event":    {"push"},
			"X-Github-Delivery": {"72d3162e-cc78-11e3-81ab-4c9367dc0958"},
			"X-Multi":           {"first", "second"},
		},
		Body: []byte(`{"ref":"refs/heads/main","size":3,"repository":{"full_name":"octo/hello"},
			"commits":[{"id":"a1","message":"fix"},{"id":"b2","message":"docs"}],"pusher":{"name":"mona"}}`),
		Type:       "push",
		ReceivedAt: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	notJSON := push()
	notJSON.Body = []byte("payload=%7B%7D")
	tests := []struct {
		filter string
		ev     *event.Event
		want   bool
	}{
		{`headers["x-github-event"] == "push"`, push(), true},
		{`headers["x-github-event"] == "push" && body.ref == "refs/heads/main"`, push(), true},
		{`headers["x-github-event"] == "issues" && body.nope == 1`, push(), false}, // short-circuit: no error
		{`body.ref.startsWith("refs/tags/")`, push(), false},
		{`body.size > 2`, push(), true}, // a JSON double against an int
		{`body.size == 3`, push(), true},
		{`body.commits.exists(c, c.message == "docs")`, push(), true},
		{`size(body.commits) == 2`, push(), true},
		{`has(body.pusher) && body.pusher.name == "mona"`, push(), true},
		{`has(body.deleted) && body.deleted`, push(), false},
		{`headers["x-multi"] == "first"`, push(), true}, // the first value
		{`"x-missing" in headers`, push(), false},
		{`!("X-Github-Event" in headers)`, push(), true}, // keys are lower case
		{`query.env == "prod" && query.tag == "a"`, push(), true},
		{`source == "github" && type == "push"`, push(), true},
		{`body == null`, notJSON, true},
		{`body == null`, push(), false},
		{`headers["x-github-event"].lowerAscii() == "push"`, push(), true}, // ext.Strings
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			t.Parallel()
			r, err := Compile(Spec{Name: "t", To: []string{"app"}, Filter: tt.filter})
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got, err := r.Match(tt.ev)
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatchError(t *testing.T) {
	t.Parallel()
	tests := []string{
		`body.missing == "x"`,            // no such key
		`headers["x-nope"] == "x"`,       // no such key
		`body.ref == "a" || body.size`,   // a double where a bool is wanted
		`int(body.ref) == 1`,             // not a number
		`body.commits[5].id == "x"`,      // out of range
		`[1, 2].all(x, x / 0 == 1)`,      // division by zero
		`body.repository.full_name > 1 `, // no such overload
	}
	for _, filter := range tests {
		t.Run(filter, func(t *testing.T) {
			t.Parallel()
			r, err := Compile(Spec{Name: "t", Filter: filter})
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got, err := r.Match(push())
			if err == nil || got {
				t.Errorf("Match = %v, %v; want false and an error", got, err)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec Spec
		want []string // each problem's Error(), in order
	}{
		{"syntax", Spec{Filter: `headers["x"] == `},
			[]string{`filter: 1:17: Syntax error: mismatched input '<EOF>'`}},
		{"second line", Spec{Filter: "source == \"github\" &&\n  bdy.ref == 1"},
			[]string{`filter: 2:3: undeclared reference to 'bdy'`}},
		{"filter not bool", Spec{Filter: `headers["x"]`},
			[]string{`filter: has type string, want bool`}},
		{"unknown function", Spec{Filter: `frobnicate(body)`},
			[]string{`filter: 1:11: undeclared reference to 'frobnicate'`}},
		{"key not string", Spec{OrderingKey: `1 + 2`},
			[]string{`ordering.key: has type int, want string`}},
		{"header not string", Spec{Transform: Transform{Headers: map[string]string{"X-N": `size(body)`}}},
			[]string{`transform.headers.X-N: has type int, want string`}},
		{"bad header name", Spec{Transform: Transform{Headers: map[string]string{"X A": `"v"`}}},
			[]string{`transform.headers["X A"]: invalid header name "X A"`}},
		{"reserved header", Spec{Transform: Transform{Headers: map[string]string{"content-length": `"1"`}}},
			[]string{`transform.headers.content-length: header "content-length" cannot be set by a transform`}},
		{"empty", Spec{Filter: "  "}, []string{`filter: empty expression`}},
		{"several", Spec{Filter: `1`, Transform: Transform{Body: `{`}, OrderingKey: `body.id`},
			[]string{`filter: has type int, want bool`, `transform.body: 1:2: Syntax error`}},
		{"too long", Spec{Filter: `"` + strings.Repeat("a", maxExprLen) + `" == body`},
			[]string{`filter: expression code point size exceeds limit`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tt.spec)
			if err == nil {
				t.Fatal("Compile succeeded")
			}
			var got []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var re *Error
				if !errors.As(e, &re) {
					t.Fatalf("problem %v is a %T, want *Error", e, e)
				}
				got = append(got, re.Error())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("problems:\n%s\nwant %d: %q", strings.Join(got, "\n"), len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("problem %d = %q, want it to start %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestTransform(t *testing.T) {
	t.Parallel()
	slack := `{"text": "push to " + body.repository.full_name + " by " + body.pusher.name}`
	tests := []struct {
		name       string
		tr         Transform
		key        string
		wantBody   string // "-" for none
		wantHeader http.Header
		wantKey    string
	}{
		{"slack", Transform{Body: slack}, "", `{"text":"push to octo/hello by mona"}`,
			http.Header{"Content-Type": {"application/json"}}, ""},
		{"string body", Transform{Body: `"ref=" + body.ref`}, "", `ref=refs/heads/main`, nil, ""},
		{"bytes body", Transform{Body: `b"\x00\xff"`}, "", "\x00\xff", nil, ""},
		{"empty body", Transform{Body: `""`}, "", "", nil, ""},
		{"list and nesting", Transform{Body: `body.commits.map(c, {"id": c.id, "n": 1, "ok": true, "x": null, "html": "<&>"})`}, "",
			`[{"html":"<&>","id":"a1","n":1,"ok":true,"x":null},{"html":"<&>","id":"b2","n":1,"ok":true,"x":null}]`,
			http.Header{"Content-Type": {"application/json"}}, ""},
		{"the body itself", Transform{Body: `body.repository`}, "", `{"full_name":"octo/hello"}`,
			http.Header{"Content-Type": {"application/json"}}, ""},
		{"headers", Transform{Headers: map[string]string{"x-repo": `body.repository.full_name`, "Content-Type": `"text/plain"`}}, "",
			"-", http.Header{"X-Repo": {"octo/hello"}, "Content-Type": {"text/plain"}}, ""},
		{"content type kept over json", Transform{Body: `{"a": 1}`, Headers: map[string]string{"Content-Type": `"application/vnd.x+json"`}}, "",
			`{"a":1}`, http.Header{"Content-Type": {"application/vnd.x+json"}}, ""},
		{"key", Transform{}, `body.repository.full_name`, "-", nil, "octo/hello"},
		{"long key hashed", Transform{}, `body.ref + "` + strings.Repeat("x", 200) + `"`, "-", nil,
			"sha256:" + sha256Hex("refs/heads/main"+strings.Repeat("x", 200))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Compile(Spec{Name: "t", To: []string{"app"}, Transform: tt.tr, OrderingKey: tt.key})
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got, err := r.output(newVars(push(), nil))
			if err != nil {
				t.Fatalf("output: %v", err)
			}
			if tt.wantBody == "-" {
				if got.body != nil {
					t.Errorf("body = %q, want none", got.body)
				}
			} else if got.body == nil || string(got.body) != tt.wantBody {
				t.Errorf("body = %q (nil: %v), want %q", got.body, got.body == nil, tt.wantBody)
			}
			if diff := cmp.Diff(tt.wantHeader, got.header); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
			if got.key != tt.wantKey {
				t.Errorf("key = %q, want %q", got.key, tt.wantKey)
			}
		})
	}
}

func TestTransformError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec Spec
	}{
		{"missing field", Spec{Transform: Transform{Body: `{"text": body.nope}`}}},
		{"NaN", Spec{Transform: Transform{Body: `{"n": 0.0 / 0.0}`}}},
		{"int keys", Spec{Transform: Transform{Body: `{1: "a"}`}}},
		{"header line break", Spec{Transform: Transform{Headers: map[string]string{"X-A": `"a\r\nX-B: b"`}}}},
		{"header dyn not string", Spec{Transform: Transform{Headers: map[string]string{"X-A": `body.size`}}}},
		{"key dyn not string", Spec{OrderingKey: `body.size`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Compile(tt.spec)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if got, err := r.output(newVars(push(), nil)); err == nil {
				t.Errorf("output = %+v, want an error", got)
			}
		})
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// A comprehension that would walk too much is cut short: the route does not
// match, rather than holding the request.
func TestCostLimit(t *testing.T) {
	t.Parallel()
	ev := push()
	ev.Body = []byte("[" + strings.Repeat("1,", 2999) + "1]")
	r, err := Compile(Spec{Filter: `body.all(x, body.all(y, x == y))`})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := r.Match(ev); ok || err == nil || !strings.Contains(err.Error(), "cost limit") {
		t.Errorf("Match = %v, %v; want false and a cost limit error", ok, err)
	}
	// A single walk of the same body is fine.
	r, err = Compile(Spec{Filter: `body.all(x, x == 1)`})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := r.Match(ev); !ok || err != nil {
		t.Errorf("Match = %v, %v; want true", ok, err)
	}
}
