package bench

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recorder is a test server that keeps the id of every body it got and
// fails every failEvery-th request with 500 (never when zero).
type recorder struct {
	failEvery int64
	n         atomic.Int64
	mu        sync.Mutex
	ids       map[string]int
	bad       []string // what was wrong with malformed requests
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := rec.n.Add(1)
	body, err := io.ReadAll(r.Body)
	var doc struct{ ID string }
	rec.mu.Lock()
	switch {
	case err != nil:
		rec.bad = append(rec.bad, "read: "+err.Error())
	case r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json":
		rec.bad = append(rec.bad, r.Method+" "+r.Header.Get("Content-Type"))
	case json.Unmarshal(body, &doc) != nil || len(doc.ID) != 36:
		rec.bad = append(rec.bad, "body "+string(body))
	case r.Header.Get("X-Body-Len") != "" && r.Header.Get("X-Body-Len") != strconv.Itoa(len(body)):
		rec.bad = append(rec.bad, "signed "+r.Header.Get("X-Body-Len")+" bytes, got "+strconv.Itoa(len(body)))
	default:
		rec.ids[doc.ID] = len(body)
	}
	rec.mu.Unlock()
	if rec.failEvery > 0 && n%rec.failEvery == 0 {
		http.Error(w, "planned failure", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func TestRunCountsRequestsAndErrors(t *testing.T) {
	t.Parallel()
	rec := &recorder{failEvery: 10, ids: map[string]int{}}
	srv := httptest.NewServer(rec)
	defer srv.Close()

	r, err := Run(t.Context(), Options{
		URL:         srv.URL + "/in/test",
		Connections: 8,
		Requests:    1000,
		BodySize:    300,
		Sign: func(req *http.Request, body []byte) error {
			req.Header.Set("X-Body-Len", strconv.Itoa(len(body)))
			return nil
		},
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if r.Requests != 1000 || r.Errors != 100 {
		t.Errorf("Requests, Errors = %d, %d, want 1000, 100", r.Requests, r.Errors)
	}
	if diff := cmp.Diff(map[int]int{202: 900, 500: 100}, r.StatusCounts); diff != "" {
		t.Errorf("StatusCounts (-want +got):\n%s", diff)
	}
	if r.RPS <= 0 || r.P50 <= 0 || r.P50 > r.P90 || r.P90 > r.P99 || r.P99 > r.Max || r.Duration <= 0 {
		t.Errorf("figures out of order or zero: %v", r)
	}
	if want := float64(900) / r.Duration.Seconds(); r.RPS != want {
		t.Errorf("RPS = %v, want successes/duration = %v", r.RPS, want)
	}
	if r.ErrorSample != "HTTP 500" {
		t.Errorf("ErrorSample = %q, want %q", r.ErrorSample, "HTTP 500")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.bad) > 0 {
		t.Errorf("%d malformed requests, first: %s", len(rec.bad), rec.bad[0])
	}
	if len(rec.ids) != 1000 {
		t.Errorf("server saw %d distinct ids, want 1000", len(rec.ids))
	}
	for id, n := range rec.ids {
		if n != 300 {
			t.Errorf("body %s is %d bytes, want 300", id, n)
			break
		}
	}
}

func TestRunTransportErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now

	r, err := Run(t.Context(), Options{URL: url, Connections: 2, Requests: 5})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if r.Requests != 5 || r.Errors != 5 || r.RPS != 0 || r.StatusCounts[0] != 5 {
		t.Errorf("got %d requests, %d errors, %v req/s, %v statuses, want 5 transport errors", r.Requests, r.Errors, r.RPS, r.StatusCounts)
	}
	if r.ErrorSample == "" {
		t.Error("ErrorSample is empty, want the transport error")
	}
}

func TestRunLeavesOutWarmup(t *testing.T) {
	t.Parallel()
	rec := &recorder{ids: map[string]int{}}
	srv := httptest.NewServer(rec)
	defer srv.Close()

	r, err := Run(t.Context(), Options{URL: srv.URL, Connections: 2, Requests: 50, Warmup: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if r.Requests != 50 {
		t.Errorf("Requests = %d, want 50", r.Requests)
	}
	if served := rec.n.Load(); served <= 50 {
		t.Errorf("server answered %d requests, want the warm-up's on top of 50", served)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 100 {
			cancel()
		}
	}))
	defer srv.Close()

	r, err := Run(ctx, Options{URL: srv.URL, Connections: 4, Duration: time.Hour})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run error = %v, want context.Canceled", err)
	}
	if r.Requests < 90 || r.Errors != 0 {
		t.Errorf("got %d requests, %d errors, want about 100 and no errors from the cancellation", r.Requests, r.Errors)
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{
		{},
		{URL: "ftp://example.com/"},
		{URL: "http:///no-host"},
		{URL: "http://127.0.0.1/", Connections: 70000},
		{URL: "http://127.0.0.1/", Requests: -1},
	} {
		if _, err := Run(t.Context(), o); err == nil {
			t.Errorf("Run(%+v) succeeded, want an options error", o)
		}
	}
}
