package destination

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/hookgate/hookgate/internal/event"
)

// A delivery's body and headers (a route's transform) are sent instead of
// the event's, over the destination's static headers but not over
// hookgate's own.
func TestHTTPSendsTransform(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var gotBody []byte
	var gotHeader http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		gotBody, gotHeader = b, r.Header.Clone()
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	h, err := NewHTTP(HTTPConfig{URL: srv.URL, Headers: map[string]string{"X-Static": "static", "X-Both": "static"}})
	if err != nil {
		t.Fatal(err)
	}
	ev := &event.Event{ID: "ev-1", Source: "github", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: []byte("a=1")}
	tests := []struct {
		name   string
		d      event.Delivery
		body   string
		header map[string]string
	}{
		{"none", event.Delivery{ID: "d-1"}, "a=1", map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "X-Static": "static", "X-Both": "static"}},
		{"transform", event.Delivery{ID: "d-2", Body: []byte(`{"text":"hi"}`), Header: http.Header{
			"Content-Type": {"application/json"}, "X-Both": {"route"}, "X-Route": {"r"}, "Webhook-Id": {"forged"},
		}}, `{"text":"hi"}`, map[string]string{
			"Content-Type": "application/json", "X-Static": "static", "X-Both": "route", "X-Route": "r", "Webhook-Id": "ev-1"}},
		{"empty body", event.Delivery{ID: "d-3", Body: []byte{}}, "", nil},
	}
	for _, tt := range tests {
		res := h.Deliver(t.Context(), ev, tt.d)
		if res.Err != nil || res.Status != http.StatusOK {
			t.Fatalf("%s: Deliver = %+v", tt.name, res)
		}
		mu.Lock()
		if string(gotBody) != tt.body {
			t.Errorf("%s: body %q, want %q", tt.name, gotBody, tt.body)
		}
		for k, v := range tt.header {
			if got := gotHeader.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", tt.name, k, got, v)
			}
		}
		mu.Unlock()
	}
}
