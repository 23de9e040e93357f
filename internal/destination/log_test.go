package destination

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestLogFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		body        string
		contentType string
		typ         string
		want        string
	}{
		{
			name: "json is indented",
			body: `{"ref":"refs/heads/main","commits":[{"id":"abc"}],"n":1}` + "\n",
			typ:  "push",
			want: `2026-05-01T12:00:00.000Z source=github type=push event=0196a0b0-0000-7000-8000-000000000001
{
  "ref": "refs/heads/main",
  "commits": [
    {
      "id": "abc"
    }
  ],
  "n": 1
}

`,
		},
		{
			name: "text as is, no type",
			body: "payload=hello&x=1\n",
			want: `2026-05-01T12:00:00.000Z source=github event=0196a0b0-0000-7000-8000-000000000001
payload=hello&x=1

`,
		},
		{
			name:        "binary summarised",
			body:        "\xff\xfe\x00\x01",
			contentType: "application/octet-stream",
			typ:         "blob",
			want: `2026-05-01T12:00:00.000Z source=github type=blob event=0196a0b0-0000-7000-8000-000000000001
(4 bytes of binary, Content-Type application/octet-stream)

`,
		},
		{
			name: "empty",
			typ:  "ping",
			want: `2026-05-01T12:00:00.000Z source=github type=ping event=0196a0b0-0000-7000-8000-000000000001
(empty body)

`,
		},
		{
			name: "forged type is quoted",
			body: "{}",
			typ:  "push\n2026-01-01T00:00:00.000Z source=evil",
			want: `2026-05-01T12:00:00.000Z source=github type="push\n2026-01-01T00:00:00.000Z source=evil" event=0196a0b0-0000-7000-8000-000000000001
{}

`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			ev := testEvent([]byte(tt.body), tt.contentType)
			ev.Type = tt.typ
			res := NewLog(&out).Deliver(t.Context(), ev, testDelivery())
			if res.Status != http.StatusOK || res.Err != nil {
				t.Errorf("Deliver = %+v, want status 200", res)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("printed:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// lockedBuffer records each Write as one piece.
type lockedBuffer struct {
	mu     sync.Mutex
	writes []string
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes = append(b.writes, string(p))
	return len(p), nil
}

func TestLogOneWritePerEvent(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	l := NewLog(&out)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			ev := testEvent(fmt.Appendf(nil, `{"i":%d}`, i), "application/json")
			l.Deliver(t.Context(), ev, testDelivery())
		})
	}
	wg.Wait()
	if len(out.writes) != 50 {
		t.Fatalf("got %d writes, want 50", len(out.writes))
	}
	for _, w := range out.writes {
		if strings.Count(w, "source=") != 1 || !strings.HasSuffix(w, "}\n\n") {
			t.Errorf("write is not one whole event: %q", w)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestLogWriteFailure(t *testing.T) {
	t.Parallel()
	res := NewLog(failingWriter{}).Deliver(t.Context(), testEvent(nil, ""), testDelivery())
	if res.Err == nil || res.Status != 0 {
		t.Errorf("Deliver = %+v, want an error and no status", res)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out bytes.Buffer
	if res := NewLog(&out).Deliver(ctx, testEvent(nil, ""), testDelivery()); !errors.Is(res.Err, context.Canceled) || out.Len() != 0 {
		t.Errorf("Deliver after cancel = %+v, wrote %q; want context.Canceled and nothing written", res, out.String())
	}
}
