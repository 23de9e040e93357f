package config

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Routes' expressions decode as written, and CheckRoute's errors are
// placed at the field they name, at its line.
func TestCheckRoute(t *testing.T) {
	t.Parallel()
	yml := `
sources: [{ name: gh, provider: github, secret: s }]
destinations: [{ name: d, type: log }, { name: slack, type: log }]
routes:
  - from: [gh]
    to: [d]
    filter: headers["x-github-event"] == "push"
    ordering: { key: body.repository.full_name }
  - from: [gh]
    to: [slack]
    filter: |
      type == "push" &&
      body.ref == "refs/heads/main"
    transform:
      body: '{"text": "push to " + body.repository.full_name}'
      headers:
        X-Repo: body.repository.full_name
`
	var seen []Route
	check := func(r Route) error {
		seen = append(seen, r)
		if r.Transform == nil {
			return nil
		}
		return errors.Join(&FieldError{Field: "filter", Err: errors.New("2:3: bad")},
			&FieldError{Field: "transform.headers.X-Repo", Err: errors.New("worse")},
			errors.New("whole route"))
	}
	_, err := Parse("r.yaml", []byte(yml), Options{CheckSource: checkSource, CheckRoute: check})
	want := `r.yaml:9: routes[1]: whole route
r.yaml:11: routes[1].filter: 2:3: bad
r.yaml:17: routes[1].transform.headers.X-Repo: worse`
	if err == nil || err.Error() != want {
		t.Errorf("got error\n%v\nwant\n%s", err, want)
	}
	wantSeen := []Route{
		{From: []string{"gh"}, To: []string{"d"}, Filter: `headers["x-github-event"] == "push"`,
			Ordering: &Ordering{Key: "body.repository.full_name"}, Line: 5},
		{From: []string{"gh"}, To: []string{"slack"}, Filter: "type == \"push\" &&\nbody.ref == \"refs/heads/main\"\n",
			Transform: &Transform{
				Body:    `{"text": "push to " + body.repository.full_name}`,
				Headers: map[string]string{"X-Repo": "body.repository.full_name"},
			}, Line: 9},
	}
	if diff := cmp.Diff(wantSeen, seen); diff != "" {
		t.Errorf("CheckRoute saw (-want +got):\n%s", diff)
	}
}

// A route config already faults is not passed on, and an ordering block
// needs a key.
func TestCheckRouteSkipsFaultyRoutes(t *testing.T) {
	t.Parallel()
	yml := `
sources: [{ name: gh, provider: github, secret: s }]
destinations: [{ name: d, type: log }]
routes:
  - { from: [gh], to: [nope], filter: "true" }
  - { from: [gh], to: [d], ordering: { key: "" } }
  - { from: [gh], to: [d], filter: "false" }
`
	var seen []string
	_, err := Parse("r.yaml", []byte(yml), Options{CheckSource: checkSource, CheckRoute: func(r Route) error {
		seen = append(seen, r.Filter)
		return nil
	}})
	want := `r.yaml:5: routes[0].to[0]: unknown destination "nope"
r.yaml:6: routes[1].ordering.key: required (a CEL expression of type string, such as body.repository.full_name)`
	if err == nil || err.Error() != want {
		t.Errorf("got error\n%v\nwant\n%s", err, want)
	}
	if diff := cmp.Diff([]string{"false"}, seen); diff != "" {
		t.Errorf("CheckRoute saw (-want +got):\n%s", diff)
	}
}
