package destination

import (
	"net/http"
	"strings"
	"testing"
)

// An HTTP attempt reports what it sent and the answer's headers, as they
// are: the delivery worker redacts them before they are stored.
func TestHTTPRecordsExchange(t *testing.T) {
	t.Parallel()
	srv, _ := sink(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Answer", "yes")
		w.WriteHeader(http.StatusAccepted)
	})
	u := srv.URL + "/hooks?v=1"
	h := newHTTP(t, HTTPConfig{URL: u, Headers: map[string]string{"Authorization": "Bearer t"}})
	ev := testEvent([]byte("{}"), "application/json")
	ev.Query = "a=b"
	res := h.Deliver(t.Context(), ev, testDelivery())
	if res.Request.Method != http.MethodPost || res.Request.URL != u+"&a=b" {
		t.Errorf("request %s %s, want POST %s", res.Request.Method, res.Request.URL, u+"&a=b")
	}
	for k, want := range map[string]string{"Authorization": "Bearer t", "Webhook-Id": ev.ID, "Hookgate-Attempt": "3"} {
		if got := res.Request.Header.Get(k); got != want {
			t.Errorf("request header %s = %q, want %q", k, got, want)
		}
	}
	if got := res.Header.Get("X-Answer"); got != "yes" {
		t.Errorf("answer header X-Answer = %q, want yes", got)
	}

	// No answer: the request is still reported, the answer's headers are not.
	h = newHTTP(t, HTTPConfig{URL: "http://127.0.0.1:1/hooks"})
	res = h.Deliver(t.Context(), ev, testDelivery())
	if res.Err == nil || res.Request.Method != http.MethodPost || !strings.HasPrefix(res.Request.URL, "http://127.0.0.1:1/hooks") || res.Header != nil {
		t.Errorf("refused attempt: %+v, want an error, the request, no answer headers", res)
	}
}
