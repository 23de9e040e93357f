package api_test

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/hookgate/hookgate/internal/api"
	"github.com/hookgate/hookgate/internal/api/apitest"
	"github.com/hookgate/hookgate/internal/reply"
)

// openAPI is the part of docs/openapi.yaml the tests read.
type openAPI struct {
	OpenAPI    string                          `yaml:"openapi"`
	Paths      map[string]map[string]operation `yaml:"paths"`
	Components struct {
		Parameters map[string]parameter `yaml:"parameters"`
		Schemas    map[string]any       `yaml:"schemas"`
		Responses  map[string]any       `yaml:"responses"`
	} `yaml:"components"`
}

type operation struct {
	Scope      string      `yaml:"x-scope"`
	Parameters []parameter `yaml:"parameters"`
}

type parameter struct {
	Ref  string `yaml:"$ref"`
	Name string `yaml:"name"`
	In   string `yaml:"in"`
}

func loadOpenAPI(t *testing.T) (*openAPI, []byte) {
	t.Helper()
	b, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPI
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	return &doc, b
}

// params resolves an operation's parameters.
func (d *openAPI) params(t *testing.T, op operation) []parameter {
	t.Helper()
	var out []parameter
	for _, p := range op.Parameters {
		if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
			r, found := d.Components.Parameters[name]
			if !found {
				t.Errorf("unresolved %s", p.Ref)
			}
			p = r
		}
		out = append(out, p)
	}
	return out
}

// docs/openapi.yaml describes exactly the route table: the same paths and
// methods both ways, each with the route's scope and its path parameters.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	doc, _ := loadOpenAPI(t)
	var documented, routed []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	for _, rt := range api.Routes() {
		routed = append(routed, rt.Method+" "+rt.Path)
	}
	slices.Sort(documented)
	slices.Sort(routed)
	if diff := cmp.Diff(routed, documented); diff != "" {
		t.Errorf("docs/openapi.yaml paths (-routes +documented):\n%s", diff)
	}
	wildcard := regexp.MustCompile(`\{(\w+)\}`)
	for _, rt := range api.Routes() {
		op, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		if !ok {
			continue
		}
		if op.Scope != rt.Scope.String() {
			t.Errorf("%s %s: x-scope %q, route needs %q", rt.Method, rt.Path, op.Scope, rt.Scope)
		}
		var want, got []string
		for _, m := range wildcard.FindAllStringSubmatch(rt.Path, -1) {
			want = append(want, m[1])
		}
		for _, p := range doc.params(t, op) {
			if p.In == "path" {
				got = append(got, p.Name)
			}
		}
		if !slices.Equal(want, got) {
			t.Errorf("%s %s: path parameters %v, want %v", rt.Method, rt.Path, got, want)
		}
	}
}

// Every $ref in docs/openapi.yaml points at a component that exists.
func TestOpenAPIRefs(t *testing.T) {
	t.Parallel()
	doc, b := loadOpenAPI(t)
	refs := regexp.MustCompile(`\$ref: "#/components/(\w+)/(\w+)"`).FindAllStringSubmatch(string(b), -1)
	if len(refs) < 20 {
		t.Fatalf("only %d $refs found; did the format change?", len(refs))
	}
	for _, m := range refs {
		var ok bool
		switch m[1] {
		case "schemas":
			_, ok = doc.Components.Schemas[m[2]]
		case "parameters":
			_, ok = doc.Components.Parameters[m[2]]
		case "responses":
			_, ok = doc.Components.Responses[m[2]]
		}
		if !ok {
			t.Errorf("unresolved $ref #/components/%s/%s", m[1], m[2])
		}
	}
}

// The query parameters each operation documents are exactly those its
// handler reads: the API answers an unknown parameter with a 400 listing
// the known ones.
func TestOpenAPIQueryParameters(t *testing.T) {
	t.Parallel()
	doc, _ := loadOpenAPI(t)
	s := apitest.Start(t, apitest.Options{Destinations: []string{"a"}})
	c := newClient(t, s, apitest.AdminToken)
	for _, rt := range api.Routes() {
		var documented []string
		for _, p := range doc.params(t, doc.Paths[rt.Path][strings.ToLower(rt.Method)]) {
			if p.In == "query" {
				documented = append(documented, p.Name)
			}
		}
		slices.Sort(documented)
		status, _, b := c.call(rt.Method, concrete(rt.Path)+"?zz_unknown=1", nil)
		var e reply.ErrorBody
		if err := json.Unmarshal(b, &e); err != nil || status != http.StatusBadRequest {
			t.Errorf("%s %s?zz_unknown=1: %d %s, want 400", rt.Method, rt.Path, status, b)
			continue
		}
		var known []string
		if k, ok := strings.CutPrefix(e.Error.Message, "zz_unknown: unknown parameter (known: "); ok {
			known = strings.Split(strings.TrimSuffix(k, ")"), ", ")
		} else if e.Error.Message != "zz_unknown: unknown parameter (this endpoint takes no parameters)" {
			t.Errorf("%s %s: message %q", rt.Method, rt.Path, e.Error.Message)
		}
		if !slices.Equal(known, documented) {
			t.Errorf("%s %s: handler reads %v, docs/openapi.yaml lists %v", rt.Method, rt.Path, known, documented)
		}
	}
}
