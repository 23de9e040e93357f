package destination

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func newFile(t *testing.T, cfg FileConfig) *File {
	t.Helper()
	f, err := NewFile(cfg)
	if err != nil {
		t.Fatalf("NewFile: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// readLines decodes every line of path.
func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []map[string]any
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v: %q", len(out)+1, err, sc.Text())
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFileWritesOneLinePerEvent(t *testing.T) {
	t.Parallel()
	for _, sync := range []bool{true, false} {
		t.Run(fmt.Sprintf("sync=%v", sync), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "events.jsonl")
			f := newFile(t, FileConfig{Path: path, Sync: sync})
			ev := testEvent([]byte(`{"zen":"<a & b>"}`), "application/json")
			ev.DeliveryID = "gh-1"
			ev.Query = "x=1"
			if res := f.Deliver(t.Context(), ev, testDelivery()); res.Status != http.StatusOK || res.Err != nil {
				t.Fatalf("Deliver = %+v, want status 200", res)
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(raw, []byte(`"body":"{\"zen\":\"<a & b>\"}"`)) {
				t.Errorf("line does not hold the body as a plain string: %s", raw)
			}
			want := map[string]any{
				"id":                   ev.ID,
				"source":               "github",
				"type":                 "push",
				"received_at":          "2026-05-01T12:00:00Z",
				"provider_delivery_id": "gh-1",
				"method":               "POST",
				"query":                "x=1",
				"headers":              map[string]any{"Content-Type": []any{"application/json"}},
				"body":                 `{"zen":"<a & b>"}`,
			}
			if diff := cmp.Diff([]map[string]any{want}, readLines(t, path)); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if perm := info.Mode().Perm(); perm != 0o600 {
				t.Errorf("file mode = %v, want 0600", perm)
			}
		})
	}
}

func TestFileBinaryBodyIsBase64(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	f := newFile(t, FileConfig{Path: path})
	body := []byte{0xff, 0xfe, 0x00, 'a', 0x80}
	if res := f.Deliver(t.Context(), testEvent(body, "application/octet-stream"), testDelivery()); res.Status != http.StatusOK {
		t.Fatalf("Deliver = %+v", res)
	}
	lines := readLines(t, path)
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1", len(lines))
	}
	if lines[0]["body_base64"] != true {
		t.Errorf("body_base64 = %v, want true", lines[0]["body_base64"])
	}
	got, err := base64.StdEncoding.DecodeString(lines[0]["body"].(string))
	if err != nil || !bytes.Equal(got, body) {
		t.Errorf("body decodes to %x (%v), want %x", got, err, body)
	}
}

func TestFileConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	f := newFile(t, FileConfig{Path: path, Sync: true})
	const n = 64
	big := bytes.Repeat([]byte("x"), 64<<10) // past PIPE_BUF, so interleaving would show
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ev := testEvent(big, "text/plain")
			ev.ID = fmt.Sprintf("ev-%02d", i)
			if res := f.Deliver(t.Context(), ev, testDelivery()); res.Status != http.StatusOK {
				t.Errorf("Deliver %d = %+v", i, res)
			}
		})
	}
	wg.Wait()
	lines := readLines(t, path)
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l["id"].(string)] = true
		if l["body"] != string(big) {
			t.Errorf("line %v has a damaged body", l["id"])
		}
	}
	if len(lines) != n || len(seen) != n {
		t.Errorf("got %d lines with %d distinct ids, want %d", len(lines), len(seen), n)
	}
}

func TestFileMissingFolderIsRetryable(t *testing.T) {
	t.Parallel()
	f := newFile(t, FileConfig{Path: filepath.Join(t.TempDir(), "no", "such", "events.jsonl")})
	res := f.Deliver(t.Context(), testEvent(nil, ""), testDelivery())
	if res.Err == nil || res.Status != 0 {
		t.Errorf("Deliver = %+v, want an error and status 0", res)
	}
}

func TestFileReopensAfterClose(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	f := newFile(t, FileConfig{Path: path})
	for i := range 2 {
		if res := f.Deliver(t.Context(), testEvent([]byte("x"), ""), testDelivery()); res.Status != http.StatusOK {
			t.Fatalf("Deliver %d = %+v", i, res)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(readLines(t, path)); got != 2 {
		t.Errorf("got %d lines, want 2", got)
	}
}

func TestFileLineIsOneLine(t *testing.T) {
	t.Parallel()
	ev := testEvent([]byte("a\nb\r\n\u2028"), "text/plain")
	ev.ReceivedAt = time.Date(2026, 5, 1, 14, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	line, err := Line(ev)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
		t.Errorf("Line = %q, want exactly one newline, at the end", line)
	}
	if !bytes.Contains(line, []byte(`"received_at":"2026-05-01T12:00:00Z"`)) {
		t.Errorf("Line = %s, want received_at in UTC", line)
	}
}
