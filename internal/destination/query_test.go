package destination

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hookgate/hookgate/internal/event"
)

func TestWithQuery(t *testing.T) {
	t.Parallel()
	cases := []struct{ target, query, want string }{
		{"http://h/p", "", "http://h/p"},
		{"http://h/p", "a=1&b=2", "http://h/p?a=1&b=2"},
		{"http://h/p?k=v", "a=1", "http://h/p?k=v&a=1"},
		{"http://h/p?", "a=1", "http://h/p?a=1"},
		{"http://h/p#f", "a=1", "http://h/p?a=1#f"},
	}
	for _, c := range cases {
		if got := withQuery(c.target, c.query); got != c.want {
			t.Errorf("withQuery(%q, %q) = %q, want %q", c.target, c.query, got, c.want)
		}
	}
}

// A GET-style event (its payload in the query) reaches the destination with
// that query, byte for byte.
func TestHTTPForwardsQuery(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got <- r.URL.RawQuery
	}))
	defer srv.Close()
	h, err := NewHTTP(HTTPConfig{URL: srv.URL + "/hooks?via=hookgate"})
	if err != nil {
		t.Fatal(err)
	}
	query := "msisdn=447700900001&to=447700900000&text=Hello%20world&type=text"
	ev := &event.Event{ID: "e1", Source: "sms", Method: http.MethodGet, Query: query, Header: http.Header{}, Body: nil}
	if res := h.Deliver(context.Background(), ev, event.Delivery{ID: "d1", Attempts: 0}); res.Err != nil || res.Status != 200 {
		t.Fatalf("deliver: %+v", res)
	}
	if q := <-got; q != "via=hookgate&"+query {
		t.Errorf("destination got query %q, want %q", q, "via=hookgate&"+query)
	}
}
