package api_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/api"
	"github.com/hookgate/hookgate/internal/api/apitest"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/internal/store"
)

// A stored event's signature, Authorization and Cookie headers, and its
// secret-looking query parameters, are shown redacted; the rest as
// received.
func TestEventRedaction(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{})
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	id := s.Ingest(t, &event.Event{Source: "gh", Type: "push", DeliveryID: "d-1", Query: "token=s3cret&page=2", ReceivedAt: at,
		Header: http.Header{
			"X-Hub-Signature-256": {"sha256=0123abcd"},
			"Authorization":       {"Bearer provider-secret"},
			"Cookie":              {"session=abc"},
			"Content-Type":        {"application/json"},
			"X-Github-Event":      {"push"},
		},
		Body: []byte(`{"ref":"main"}`)})
	var got api.Event
	newClient(t, s, apitest.ReadToken).do("GET", "/events/"+id, nil, http.StatusOK, &got)
	want := api.Event{ID: id, Source: "gh", Type: "push", DeliveryID: "d-1", Method: "POST",
		Query: "token=" + url.QueryEscape(redact.Mask) + "&page=2", ReceivedAt: at, Size: 14,
		Headers: http.Header{
			"X-Hub-Signature-256": {redact.Mask},
			"Authorization":       {redact.Mask},
			"Cookie":              {redact.Mask},
			"Content-Type":        {"application/json"},
			"X-Github-Event":      {"push"},
		},
		Body: api.Body{Body: `{"ref":"main"}`, BodyEncoding: "utf-8"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /events/{id} (-want +got):\n%s", diff)
	}

	// A body that is not UTF-8 comes as base64.
	raw := []byte{0xff, 0xfe, 0x00, 'x'}
	id = s.Ingest(t, &event.Event{Source: "gh", Header: http.Header{}, Body: raw})
	newClient(t, s, apitest.ReadToken).do("GET", "/events/"+id, nil, http.StatusOK, &got)
	if got.BodyEncoding != "base64" || got.Body.Body != base64.StdEncoding.EncodeToString(raw) {
		t.Errorf("binary body: %q as %s", got.Body.Body, got.BodyEncoding)
	}
	newClient(t, s, apitest.ReadToken).fails("GET", "/events/"+event.NewID(), nil, http.StatusNotFound, "no event with id")
}

// Pages of events cover every matching event exactly once, newest first,
// and the last page has no next cursor.
func TestEventsPagination(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{})
	t0 := time.Now().Add(-time.Hour)
	var want []string
	for i := range 23 {
		want = append(want, s.Ingest(t, &event.Event{Source: "gh", Header: http.Header{}, Body: []byte("{}"), ReceivedAt: t0.Add(time.Duration(i) * time.Second)}))
	}
	slices.Reverse(want)
	c := newClient(t, s, apitest.ReadToken)
	var got []string
	cursor, pages := "", 0
	for {
		var page api.EventPage
		c.do("GET", "/events?limit=5&cursor="+cursor, nil, http.StatusOK, &page)
		pages++
		for _, e := range page.Events {
			got = append(got, e.ID)
		}
		if page.Next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("more than 10 pages of 5 for 23 events")
		}
		cursor = page.Next
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events over all pages (-want +got):\n%s", diff)
	}
	if pages != 5 {
		t.Errorf("%d pages, want 5", pages)
	}
}

// Each filter of GET /events selects what it says.
func TestEventFilters(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Destinations: []string{"a"}})
	s.Sink.Fail(true)
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ev := func(source, typ, body string, at time.Time, dests ...string) string {
		return s.Ingest(t, &event.Event{Source: source, Type: typ, Header: http.Header{}, Body: []byte(body), ReceivedAt: at}, dests...)
	}
	push := ev("gh", "push", `{"ref":"main"}`, t0)
	issue := ev("gh", "issues", `{"action":"opened"}`, t0.Add(time.Minute))
	charge := ev("stripe", "charge.succeeded", `{"amount":42}`, t0.Add(2*time.Minute), "a")
	s.WaitDeliveries(t, store.DeliveryFilter{EventID: charge, State: event.Dead}, 1)

	c := newClient(t, s, apitest.ReadToken)
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", []string{charge, issue, push}},
		{"source=gh", []string{issue, push}},
		{"type=push", []string{push}},
		{"status=dead", []string{charge}},
		{"status=pending", nil},
		{"since=" + t0.Add(time.Minute).Format(time.RFC3339), []string{charge, issue}},
		{"until=" + t0.Add(time.Minute).Format(time.RFC3339), []string{push}},
		{"q=" + url.QueryEscape(`"action"`), []string{issue}},
		{"source=gh&q=amount", nil},
	} {
		var page api.EventPage
		c.do("GET", "/events?"+tt.query, nil, http.StatusOK, &page)
		var got []string
		for _, e := range page.Events {
			got = append(got, e.ID)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("GET /events?%s (-want +got):\n%s", tt.query, diff)
		}
	}
	var page api.EventPage
	c.do("GET", "/events?source=stripe", nil, http.StatusOK, &page)
	if want := map[event.State]int{event.Dead: 1}; len(page.Events) != 1 || !cmp.Equal(page.Events[0].Deliveries, want) {
		t.Errorf("stripe's event: %+v, want deliveries %v", page.Events, want)
	}
}

// Bad input is a 400 naming the parameter or field at fault.
func TestBadInput(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Destinations: []string{"a"}})
	id := s.Ingest(t, &event.Event{Source: "gh", Header: http.Header{}, Body: []byte("{}")})
	c := newClient(t, s, apitest.AdminToken)
	for _, tt := range []struct {
		method, path string
		body         any
		part         string
	}{
		{"GET", "/events?limit=0", nil, "limit: want a whole number from 1 to 500"},
		{"GET", "/events?limit=501", nil, "limit: want a whole number from 1 to 500"},
		{"GET", "/events?since=yesterday", nil, "since: want an RFC 3339 time"},
		{"GET", "/events?status=lost", nil, "status: unknown state \"lost\""},
		{"GET", "/events?sorce=gh", nil, "sorce: unknown parameter (known: cursor, limit, q, since, source, status, type, until)"},
		{"GET", "/events?source=a&source=b", nil, "source: given 2 times"},
		{"GET", "/events?cursor=a%20b", nil, "cursor: holds spaces"},
		{"GET", "/deliveries?state=gone", nil, "state: unknown state"},
		{"GET", "/stats?since=2026-13-01T00:00:00Z", nil, "since: want an RFC 3339 time"},
		{"GET", "/destinations?x=1", nil, "x: unknown parameter (this endpoint takes no parameters)"},
		{"POST", "/events/" + id + "/replay", `{"destination":["a"]}`, "body: unknown field \"destination\""},
		{"POST", "/events/" + id + "/replay", `{"destinations":"a"}`, "body: field destinations: want []string, got string"},
		{"POST", "/events/" + id + "/replay", map[string]any{"destinations": []string{"nowhere"}}, "destinations: no destination named nowhere (have a)"},
		{"POST", "/events/" + id + "/replay", map[string]any{"destinations": []string{"a", "a"}}, "destinations: destination a listed twice"},
		{"POST", "/replay", map[string]any{"destinations": []string{"a"}}, "body: give at least one filter"},
		{"POST", "/replay", nil, "body: required"},
		{"POST", "/replay", map[string]any{"source": "gh", "since": "24h"}, "since: want an RFC 3339 time"},
		{"POST", "/dead/retry", map[string]any{"since": "2026-05-02T00:00:00Z", "until": "2026-05-01T00:00:00Z"}, "until: must be after since"},
		{"POST", "/dead/retry", `{"source":"gh"} {}`, "body: more than one JSON value"},
	} {
		c.fails(tt.method, tt.path, tt.body, http.StatusBadRequest, tt.part)
	}
	big := fmt.Sprintf(`{"destinations":[%q]}`, make([]byte, 70<<10))
	c.fails("POST", "/events/"+id+"/replay", big, http.StatusRequestEntityTooLarge, "larger than 64 KiB")
}
