package queue

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/destination"
)

// broker is what the shared tests need from one kind of destination.
type broker struct {
	// env names the variable that holds the test server's address.
	env string
	// open makes a place of its own on the server (a queue, stream, tube,
	// ...), and returns a destination that sends there through serverAddr
	// (a host:port: the server's, or a proxy's), with the configured
	// header X-Team: core, and a consumer that reads from it directly.
	open func(t *testing.T, server, serverAddr string) (destination.Destination, consumer)
	// anyBody: the body may be any bytes (not so for SQS, which takes text).
	anyBody bool
	// headers: messages carry the metadata (not so for beanstalkd).
	headers bool
	// messageID: the message id is the event id.
	messageID bool
}

// consumer returns the next message, failing t if none comes within a few
// seconds.
type consumer func(t *testing.T) message

// message is what a real consumer got.
type message struct {
	Body   []byte
	Header map[string]string
	ID     string
}

// testBroker runs the tests every kind must pass.
func testBroker(t *testing.T, b broker) {
	t.Run("Delivers", func(t *testing.T) { t.Parallel(); testDelivers(t, b) })
	t.Run("Concurrent", func(t *testing.T) { t.Parallel(); testConcurrent(t, b) })
	t.Run("Outage", func(t *testing.T) { t.Parallel(); testOutage(t, b) })
	t.Run("DownAtStart", func(t *testing.T) { t.Parallel(); testDownAtStart(t, b) })
	t.Run("Close", func(t *testing.T) { t.Parallel(); testClose(t, b) })
}

func testDelivers(t *testing.T, b broker) {
	srv := server(t, b.env)
	dst, next := b.open(t, srv, hostPort(t, srv))
	body := []byte(`{"ref":"refs/heads/main","size":3,"note":"é ✓"}` + "\n")
	if b.anyBody {
		body = binaryBody()
	}
	ev := testEvent(body)
	d := testDelivery(ev)
	r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, d)
	if deliver.Classify(r) != deliver.Success {
		t.Fatalf("Deliver = %+v (response %q), want a success", r, r.Response)
	}
	got := next(t)
	if !bytes.Equal(got.Body, body) {
		t.Errorf("body = %q, want %q", got.Body, body)
	}
	if b.headers {
		if diff := cmp.Diff(wantHeaders(ev, d), got.Header); diff != "" {
			t.Errorf("headers (-want +got):\n%s", diff)
		}
	}
	if b.messageID && got.ID != ev.ID {
		t.Errorf("message id = %q, want the event id %q", got.ID, ev.ID)
	}
}

// testConcurrent delivers from many goroutines through one destination.
func testConcurrent(t *testing.T, b broker) {
	srv := server(t, b.env)
	dst, next := b.open(t, srv, hostPort(t, srv))
	const n = 24
	var want []string
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		body := fmt.Sprintf(`{"n":%d}`, i)
		want = append(want, body)
		wg.Go(func() {
			ev := testEvent([]byte(body))
			if r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev)); deliver.Classify(r) != deliver.Success {
				errs <- fmt.Errorf("Deliver %s = %+v (response %q)", body, r, r.Response)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	var got []string
	for range n {
		got = append(got, string(next(t).Body))
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bodies consumed (-want +got):\n%s", diff)
	}
}

// testOutage takes the broker away and back, and checks that the same
// destination reports a retryable failure, then delivers again.
func testOutage(t *testing.T, b broker) {
	srv := server(t, b.env)
	p := newProxy(t, hostPort(t, srv))
	dst, next := b.open(t, srv, p.Addr())

	deliverOK := func(body string) {
		t.Helper()
		ev := testEvent([]byte(body))
		if r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev)); deliver.Classify(r) != deliver.Success {
			t.Fatalf("Deliver %s = %+v (response %q), want a success", body, r, r.Response)
		}
	}
	deliverOK(`{"n":"before"}`)
	if got := next(t); string(got.Body) != `{"n":"before"}` {
		t.Fatalf("consumed %q, want the first event", got.Body)
	}

	p.Down()
	for i := range 3 { // the first may meet a connection not yet known broken
		ev := testEvent([]byte(`{"n":"down"}`))
		start := time.Now()
		r := dst.Deliver(attemptCtx(t, 3*time.Second), ev, testDelivery(ev))
		if r.Err == nil || deliver.Classify(r) != deliver.Retryable {
			t.Fatalf("Deliver %d while the broker is down = %+v, want a retryable Err", i, r)
		}
		t.Logf("down, attempt %d: %v (after %s)", i, r.Err, time.Since(start).Round(time.Millisecond))
	}

	p.Up()
	// The worker would retry after its backoff; here, every 200ms.
	deadline := time.Now().Add(15 * time.Second)
	for {
		ev := testEvent([]byte(`{"n":"after"}`))
		r := dst.Deliver(attemptCtx(t, 3*time.Second), ev, testDelivery(ev))
		if deliver.Classify(r) == deliver.Success {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Deliver after the broker came back = %+v, still failing after 15s", r)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Events sent while the broker was down may still arrive (a client
	// library's buffer); the one sent after it came back must.
	for {
		if got := next(t); string(got.Body) == `{"n":"after"}` {
			break
		}
	}
}

// testDownAtStart starts with the broker away: the first connection fails,
// and a later attempt connects.
func testDownAtStart(t *testing.T, b broker) {
	srv := server(t, b.env)
	p := newProxy(t, hostPort(t, srv))
	p.Down()
	dst, next := b.open(t, srv, p.Addr())
	ev := testEvent([]byte(`{"n":"down"}`))
	if r := dst.Deliver(attemptCtx(t, 3*time.Second), ev, testDelivery(ev)); r.Err == nil || deliver.Classify(r) != deliver.Retryable {
		t.Fatalf("Deliver while the broker is down = %+v, want a retryable Err", r)
	}
	p.Up()
	ev = testEvent([]byte(`{"n":"up"}`))
	if r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev)); deliver.Classify(r) != deliver.Success {
		t.Fatalf("Deliver once the broker is up = %+v (response %q), want a success", r, r.Response)
	}
	if got := next(t); string(got.Body) != `{"n":"up"}` {
		t.Errorf("consumed %q, want the second event", got.Body)
	}
}

func testClose(t *testing.T, b broker) {
	srv := server(t, b.env)
	dst, next := b.open(t, srv, hostPort(t, srv))
	ev := testEvent([]byte(`{"n":1}`))
	if r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev)); deliver.Classify(r) != deliver.Success {
		t.Fatalf("Deliver = %+v (response %q), want a success", r, r.Response)
	}
	next(t)
	c, ok := dst.(io.Closer)
	if !ok {
		t.Fatalf("%T is not an io.Closer", dst)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev))
	if !errors.Is(r.Err, errClosed) {
		t.Errorf("Deliver after Close = %+v, want errClosed", r)
	}
}
