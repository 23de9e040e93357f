//go:build unix

package destination_test

import (
	"path/filepath"
	"testing"

	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
)

// TestExecResultsClassify pins how exit codes reach the delivery policy:
// exit 0 succeeds, a permanent code kills the delivery, any other code and
// a timeout are retried.
func TestExecResultsClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want deliver.Class
	}{
		{"exit 0", []string{"0"}, deliver.Success},
		{"exit 1", []string{"1"}, deliver.Retryable},
		{"exit 75 (EX_TEMPFAIL)", []string{"75"}, deliver.Retryable},
		{"exit 65, configured permanent", []string{"65"}, deliver.Permanent},
		{"exit 2, configured permanent", []string{"2"}, deliver.Permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := destination.NewExec(destination.ExecConfig{
				Command:            append([]string{"/bin/sh", filepath.Join("testdata", "exec", "exit.sh")}, tt.args...),
				PermanentExitCodes: []int{2, 65},
			})
			if err != nil {
				t.Fatal(err)
			}
			res := e.Deliver(t.Context(), &event.Event{ID: "e1", Source: "s"}, event.Delivery{ID: "d1"})
			if got := deliver.Classify(res); got != tt.want {
				t.Errorf("Classify(%+v) = %s, want %s", res, got, tt.want)
			}
		})
	}
}
