package queue

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beanstalkd/go-beanstalk"

	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/destination"
)

func TestBeanstalkd(t *testing.T) {
	t.Parallel()
	testBroker(t, broker{env: envBeanstalkd, open: openBeanstalkd, anyBody: true})
}

// openBeanstalkd puts into a fresh tube, reserved from with a connection of
// the test's own.
func openBeanstalkd(t *testing.T, srv, addr string) (destination.Destination, consumer) {
	tube := uniqueName("hookgate-test-")
	dst := newBeanstalkd(t, BeanstalkdConfig{Addr: addr, Tube: tube})
	ts := beanstalkTubes(t, srv, tube)
	return dst, func(t *testing.T) message {
		t.Helper()
		_, body := reserve(t, ts)
		return message{Body: body}
	}
}

func newBeanstalkd(t *testing.T, cfg BeanstalkdConfig) *Beanstalkd {
	t.Helper()
	b, err := NewBeanstalkd(cfg)
	if err != nil {
		t.Fatalf("NewBeanstalkd: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// beanstalkTubes watches tube on a connection of the test's own.
func beanstalkTubes(t *testing.T, addr, tube string) *beanstalk.TubeSet {
	t.Helper()
	c, err := beanstalk.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial beanstalkd: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return beanstalk.NewTubeSet(c, tube)
}

// reserve takes the next job and deletes it.
func reserve(t *testing.T, ts *beanstalk.TubeSet) (uint64, []byte) {
	t.Helper()
	id, body, err := ts.Reserve(10 * time.Second)
	if err != nil {
		t.Fatalf("reserve: %v", err)
	}
	if err := ts.Conn.Delete(id); err != nil {
		t.Fatalf("delete job %d: %v", id, err)
	}
	return id, body
}

// The job has the configured priority, delay and TTR (rounded up to
// seconds), and its id is in the response.
func TestBeanstalkdJob(t *testing.T) {
	t.Parallel()
	srv := server(t, envBeanstalkd)
	tube := uniqueName("hookgate-test-")
	pri := uint32(7)
	dst := newBeanstalkd(t, BeanstalkdConfig{Addr: srv, Tube: tube, Priority: &pri, Delay: 1500 * time.Millisecond, TTR: 30 * time.Second})
	ev := testEvent([]byte(`{"job":1}`))
	r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev))
	if deliver.Classify(r) != deliver.Success || !strings.HasPrefix(string(r.Response), "job ") {
		t.Fatalf("Deliver = %+v (response %q), want a success naming the job", r, r.Response)
	}
	ts := beanstalkTubes(t, srv, tube)
	id, body, err := beanstalk.NewTube(ts.Conn, tube).PeekDelayed()
	if err != nil {
		t.Fatalf("peek-delayed: %v", err)
	}
	if want := "job " + strconv.FormatUint(id, 10); string(r.Response) != want {
		t.Errorf("response = %q, want %q", r.Response, want)
	}
	if !bytes.Equal(body, ev.Body) {
		t.Errorf("body = %q, want %q", body, ev.Body)
	}
	stats, err := ts.Conn.StatsJob(id)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"pri": "7", "delay": "2", "ttr": "30", "tube": tube} {
		if stats[k] != want {
			t.Errorf("stats-job %s = %q, want %q", k, stats[k], want)
		}
	}
	if id2, _ := reserve(t, ts); id2 != id { // ready once the delay is over
		t.Errorf("reserved job %d, want %d", id2, id)
	}
}

func TestBeanstalkdDefaults(t *testing.T) {
	t.Parallel()
	srv := server(t, envBeanstalkd)
	tube := uniqueName("hookgate-test-")
	dst := newBeanstalkd(t, BeanstalkdConfig{Addr: srv, Tube: tube})
	ev := testEvent([]byte(`{}`))
	if r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev)); deliver.Classify(r) != deliver.Success {
		t.Fatalf("Deliver = %+v", r)
	}
	ts := beanstalkTubes(t, srv, tube)
	id, _, err := beanstalk.NewTube(ts.Conn, tube).PeekReady()
	if err != nil {
		t.Fatalf("peek-ready: %v", err)
	}
	stats, err := ts.Conn.StatsJob(id)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"pri": "1024", "delay": "0", "ttr": "60"} {
		if stats[k] != want {
			t.Errorf("stats-job %s = %q, want %q", k, stats[k], want)
		}
	}
	reserve(t, ts)
}

// A body over the server's job size limit (65535 bytes by default) fails
// for good, and the destination goes on working.
func TestBeanstalkdJobTooBig(t *testing.T) {
	t.Parallel()
	srv := server(t, envBeanstalkd)
	tube := uniqueName("hookgate-test-")
	dst := newBeanstalkd(t, BeanstalkdConfig{Addr: srv, Tube: tube})
	ev := testEvent(bytes.Repeat([]byte("a"), 70_000))
	r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev))
	if r.Status != 413 || deliver.Classify(r) != deliver.Permanent {
		t.Fatalf("Deliver of 70000 bytes = %+v (response %q), want a permanent 413", r, r.Response)
	}
	ev = testEvent([]byte(`{"small":true}`))
	if r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev)); deliver.Classify(r) != deliver.Success {
		t.Fatalf("Deliver after a job too big = %+v", r)
	}
	if _, body := reserve(t, beanstalkTubes(t, srv, tube)); string(body) != `{"small":true}` {
		t.Errorf("body = %q", body)
	}
}

func TestNewBeanstalkdErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  BeanstalkdConfig
		want string
	}{
		{"no addr", BeanstalkdConfig{}, "want host:port"},
		{"bad tube", BeanstalkdConfig{Addr: "h:11300", Tube: "a b"}, "tube:"},
		{"dash tube", BeanstalkdConfig{Addr: "h:11300", Tube: "-a"}, "must not start with '-'"},
		{"long tube", BeanstalkdConfig{Addr: "h:11300", Tube: strings.Repeat("a", 200)}, "1 to 199"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewBeanstalkd(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewBeanstalkd = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestBeanstalkdRounding(t *testing.T) {
	t.Parallel()
	b, err := NewBeanstalkd(BeanstalkdConfig{Addr: "h:11300", Delay: 100 * time.Millisecond, TTR: 1})
	if err != nil {
		t.Fatal(err)
	}
	if b.delay != time.Second || b.ttr != time.Second || b.pri != DefaultBeanstalkdPriority || b.tube != "default" {
		t.Errorf("delay %s, ttr %s, pri %d, tube %q; want 1s, 1s, %d, default", b.delay, b.ttr, b.pri, b.tube, DefaultBeanstalkdPriority)
	}
}
