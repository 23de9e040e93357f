package app

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

const routesYAML = `sources:
  - { name: gh, provider: github, secret: s }
  - { name: other, provider: github, secret: s }
destinations:
  - { name: app, type: log }
  - { name: slack, type: log }
routes:
  - from: [gh]
    to: [slack]
    filter: headers["x-github-event"] == "push"
    transform: { body: '{"text": body.ref}' }
    ordering: { key: body.ref }
  - from: [gh, other]
    to: [app, slack]
`

// NewPlan gives each source a router over its routes, in file order.
func TestPlanRoutes(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("r.yaml", []byte(routesYAML), config.Options{CheckSource: CheckSource, CheckRoute: CheckRoute})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	push := &event.Event{Source: "gh", Header: http.Header{"X-Github-Event": {"push"}}, Body: []byte(`{"ref":"main"}`)}
	tests := []struct {
		source int
		ev     *event.Event
		want   []store.Route
	}{
		{0, push, []store.Route{
			{Destination: "slack", OrderingKey: "main", Body: []byte(`{"text":"main"}`),
				Header: http.Header{"Content-Type": {"application/json"}}},
			{Destination: "app"},
		}},
		{0, &event.Event{Source: "gh"}, []store.Route{{Destination: "app"}, {Destination: "slack"}}},
		{1, push, []store.Route{{Destination: "app"}, {Destination: "slack"}}},
	}
	for _, tt := range tests {
		got := p.Sources[tt.source].Router.Routes(tt.ev)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("source %s: Routes (-want +got):\n%s", p.Sources[tt.source].Name, diff)
		}
	}
}

// CheckRoute reports each bad expression at its field's line; NewPlan, for
// a config checked without it, at the route's.
func TestCheckRoute(t *testing.T) {
	t.Parallel()
	yml := `sources: [{ name: gh, provider: github, secret: s }]
destinations: [{ name: app, type: log }]
routes:
  - from: [gh]
    to: [app]
    filter: body.ref ==
    transform:
      headers: { X-A: '1' }
`
	_, err := config.Parse("r.yaml", []byte(yml), config.Options{CheckSource: CheckSource, CheckRoute: CheckRoute})
	want := `r.yaml:6: routes[0].filter: 1:12: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}
r.yaml:8: routes[0].transform.headers.X-A: has type int, want string`
	if err == nil || err.Error() != want {
		t.Errorf("Parse: got\n%v\nwant\n%s", err, want)
	}
	cfg, err := config.Parse("r.yaml", []byte(yml), config.Options{CheckSource: CheckSource})
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewPlan(cfg, nil)
	if err == nil || err.Error()[:len("r.yaml:4: routes[0]: filter: 1:12:")] != "r.yaml:4: routes[0]: filter: 1:12:" {
		t.Errorf("NewPlan: got %v, want an error at r.yaml:4", err)
	}
}
