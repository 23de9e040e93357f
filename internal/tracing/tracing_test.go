package tracing

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestTraceParentRoundTrip(t *testing.T) {
	t.Parallel()
	for _, in := range []string{tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"} {
		sc := trace.SpanContextFromContext(WithParent(context.Background(), in))
		if !sc.IsRemote() {
			t.Errorf("%s: span context not remote", in)
		}
		if got := TraceParent(sc); got != in {
			t.Errorf("TraceParent(WithParent(%q)) = %q", in, got)
		}
	}
}

func TestWithParentIgnoresBadInput(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", strings.ToUpper(tp)} {
		if sc := trace.SpanContextFromContext(WithParent(context.Background(), in)); sc.IsValid() {
			t.Errorf("WithParent(%q) gave a valid span context %v", in, sc)
		}
	}
	if got := TraceParent(trace.SpanContext{}); got != "" {
		t.Errorf("TraceParent of nothing = %q, want empty", got)
	}
}

func TestInjectAndFromContext(t *testing.T) {
	t.Parallel()
	ctx := WithParent(context.Background(), tp)
	h := http.Header{}
	Inject(ctx, propagation.HeaderCarrier(h))
	if got := h.Get("Traceparent"); got != tp {
		t.Errorf("injected %q, want %q", got, tp)
	}
	if parent, state := FromContext(ctx); parent != tp || state != "" {
		t.Errorf("FromContext = %q, %q", parent, state)
	}
	if parent, _ := FromContext(context.Background()); parent != "" {
		t.Errorf("FromContext of nothing = %q", parent)
	}
	in := http.Header{"Traceparent": {tp}, "Tracestate": {"vendor=x"}}
	sc := trace.SpanContextFromContext(Extract(context.Background(), propagation.HeaderCarrier(in)))
	if TraceParent(sc) != tp || sc.TraceState().String() != "vendor=x" {
		t.Errorf("Extract: %s %q", TraceParent(sc), sc.TraceState())
	}
}

func TestNewRejectsEndpoints(t *testing.T) {
	t.Parallel()
	for _, e := range []string{"", "ftp://c:21", "http://", "http://[::1"} {
		if _, err := New(context.Background(), Config{Endpoint: e, ServiceName: "x"}, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("New(%q): no error", e)
		}
	}
	for _, e := range []string{"http://127.0.0.1:4318", "https://c.example:4318/otlp/v1/traces", "c.example:4318"} {
		p, err := New(context.Background(), Config{Endpoint: e, ServiceName: "x", SampleRatio: 0.5}, nil)
		if err != nil {
			t.Errorf("New(%q): %v", e, err)
			continue
		}
		if p.Tracer() == nil {
			t.Errorf("New(%q): no tracer", e)
		}
		if err := p.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown with nothing sent: %v", err)
		}
	}
}

// FuzzWithParent: any input either yields nothing or a span context that
// formats back to the (lower-case, version 00) input.
func FuzzWithParent(f *testing.F) {
	f.Add(tp)
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff")
	f.Add("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		sc := trace.SpanContextFromContext(WithParent(context.Background(), in))
		if !sc.IsValid() {
			return
		}
		out := TraceParent(sc)
		if len(out) != 55 || !strings.HasPrefix(out, "00-") {
			t.Fatalf("WithParent(%q) formats as %q", in, out)
		}
		if again := TraceParent(trace.SpanContextFromContext(WithParent(context.Background(), out))); again != out {
			t.Fatalf("not stable: %q -> %q", out, again)
		}
	})
}
