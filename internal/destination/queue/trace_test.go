package queue

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/tracing"
)

func TestWithTrace(t *testing.T) {
	t.Parallel()
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	base := []header{{"Webhook-Id", "ev1"}}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want []header
	}{
		{"no span", context.Background(), base},
		{"span", tracing.WithParent(context.Background(), tp), append(base[:1:1], header{"traceparent", tp})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := withTrace(tc.ctx, append([]header(nil), base...))
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(header{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
