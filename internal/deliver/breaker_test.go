package deliver

import (
	"testing"
	"time"
)

// step is one thing that happens to a breaker in a table test.
type step struct {
	at     time.Duration // since t0
	fail   bool          // record a failure (else a success); ignored when allow
	probe  bool          // the recorded attempt was the probe
	allow  bool          // ask allow instead of recording
	want   CircuitState  // record: the state moved to ("" none); allow: the state after
	wantOK bool          // allow: whether an attempt may start
}

func TestBreaker(t *testing.T) {
	t.Parallel()
	const open = 30 * time.Second
	tests := []struct {
		name  string
		cfg   Circuit
		steps []step
	}{
		{"consecutive failures open it", Circuit{Failures: 3, OpenFor: open}, []step{
			{fail: true}, {fail: true}, {fail: false}, // a success resets the streak
			{fail: true}, {fail: true},
			{allow: true, want: CircuitClosed, wantOK: true},
			{fail: true, want: CircuitOpen},
			{allow: true, want: CircuitOpen},
			{at: open - time.Nanosecond, allow: true, want: CircuitOpen},
		}},
		{"ratio over a window opens it", Circuit{Ratio: 0.5, Window: 4, OpenFor: open}, []step{
			{fail: true}, {fail: true}, {fail: false}, // 3 of 4: not counted yet
			{fail: false, want: CircuitOpen}, // 2 of 4 failed: 0.5
			{allow: true, want: CircuitOpen},
		}},
		{"ratio slides", Circuit{Ratio: 0.75, Window: 4, OpenFor: open}, []step{
			{fail: true}, {fail: false}, {fail: false}, {fail: true}, // 2 of 4
			{fail: true},                    // the first falls out: 2 of 4
			{fail: true, want: CircuitOpen}, // 3 of 4
		}},
		{"probe success closes it", Circuit{Failures: 1, OpenFor: open}, []step{
			{fail: true, want: CircuitOpen},
			{at: open, allow: true, want: CircuitHalfOpen, wantOK: true}, // the probe
			{at: open, allow: true, want: CircuitHalfOpen},               // one at a time
			{at: open + time.Second, fail: false, probe: true, want: CircuitClosed},
			{at: open + time.Second, allow: true, want: CircuitClosed, wantOK: true},
		}},
		{"probe failure opens it again", Circuit{Failures: 1, OpenFor: open}, []step{
			{fail: true, want: CircuitOpen},
			{at: open, allow: true, want: CircuitHalfOpen, wantOK: true},
			{at: open + time.Second, fail: true, probe: true, want: CircuitOpen},
			{at: 2*open + time.Second - 1, allow: true, want: CircuitOpen},
			{at: 2*open + time.Second, allow: true, want: CircuitHalfOpen, wantOK: true},
		}},
		{"late outcomes do not move it", Circuit{Failures: 2, OpenFor: open}, []step{
			{fail: true}, {fail: true, want: CircuitOpen},
			{fail: false}, // an attempt that started before it opened
			{at: open, allow: true, want: CircuitHalfOpen, wantOK: true},
			{at: open, fail: true}, // not the probe
			{at: open, fail: false, probe: true, want: CircuitClosed},
			{at: open, fail: true}, // the streak starts afresh
			{at: open, allow: true, want: CircuitClosed, wantOK: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBreaker(tt.cfg)
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				if s.allow {
					ok, probe, _ := b.allow(now)
					if probe {
						b.startProbe()
					}
					if ok != s.wantOK || b.state != s.want {
						t.Fatalf("step %d: allow = %t in %s, want %t in %s", i, ok, b.state, s.wantOK, s.want)
					}
					continue
				}
				if got := b.record(now, s.fail, s.probe); got != s.want {
					t.Fatalf("step %d: record(fail %t, probe %t) moved to %q, want %q", i, s.fail, s.probe, got, s.want)
				}
			}
		})
	}
}

// A probe that is not attempted (its lease ran out in the queue, Stop)
// gives its turn back.
func TestBreakerAbandonedProbe(t *testing.T) {
	t.Parallel()
	b := newBreaker(Circuit{Failures: 1, OpenFor: time.Second})
	b.record(t0, true, false)
	now := t0.Add(time.Second)
	if ok, probe, _ := b.allow(now); !ok || !probe {
		t.Fatalf("allow after open_for = %t, probe %t; want the probe", ok, probe)
	}
	b.startProbe()
	if ok, _, _ := b.allow(now); ok {
		t.Fatal("a second attempt went while the probe was out")
	}
	b.abandon()
	if ok, probe, _ := b.allow(now); !ok || !probe {
		t.Errorf("allow after the probe was abandoned = %t, probe %t; want a new probe", ok, probe)
	}
}

func TestCircuitCheck(t *testing.T) {
	t.Parallel()
	bad := []Circuit{
		{Failures: -1},
		{Ratio: 1.5, Window: 4, OpenFor: time.Second},
		{Ratio: 0.5, OpenFor: time.Second},
		{Failures: 3},
	}
	for _, c := range bad {
		if c.check() == nil {
			t.Errorf("check(%+v) = nil, want an error", c)
		}
	}
	for _, c := range []Circuit{{}, {Failures: 3, OpenFor: time.Second}, {Ratio: 1, Window: 1, OpenFor: time.Second}} {
		if err := c.check(); err != nil {
			t.Errorf("check(%+v) = %v", c, err)
		}
	}
}
