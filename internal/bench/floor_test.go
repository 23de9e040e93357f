package bench

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFloorWritesBeforeAnswering(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "floor.log")
	fl, err := NewFloor(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()

	body := `{"id":"one"}`
	w := httptest.NewRecorder()
	fl.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)))
	if w.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202", w.Code)
	}
	// The answer came back, so the body must be in the file and synced.
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != body {
		t.Errorf("file holds %q, want %q", got, body)
	}
	if fl.Syncs() != 1 || fl.Writes() != 1 {
		t.Errorf("syncs, writes = %d, %d, want 1, 1", fl.Syncs(), fl.Writes())
	}
}

func TestFloorSharesSyncs(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "floor.log")
	// A disk that takes at least 200µs per sync, as a real one does, so
	// requests pile up behind each sync even on a tmpfs.
	fl, err := newFloor(path, func(f *os.File) error {
		time.Sleep(200 * time.Microsecond)
		return fdatasync(f)
	})
	if err != nil {
		t.Fatal(err)
	}
	url, shutdown, err := Serve(fl)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	r, err := Run(t.Context(), Options{URL: url, Connections: 32, Requests: n, BodySize: 256})
	shutdown()
	if cerr := fl.Close(); cerr != nil {
		t.Errorf("Close: %v", cerr)
	}
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if r.Requests != n || r.Errors != 0 {
		t.Fatalf("Requests, Errors = %d, %d, want %d, 0 (%s)", r.Requests, r.Errors, n, r.ErrorSample)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bodies := bytes.Count(got, []byte(`{"id":"`)); bodies != n || len(got) != n*256 {
		t.Errorf("file holds %d bodies in %d bytes, want %d in %d", bodies, len(got), n, n*256)
	}
	if syncs := fl.Syncs(); syncs >= n/2 || syncs == 0 {
		t.Errorf("%d syncs for %d concurrent requests, want them shared", syncs, n)
	}
	t.Logf("%d requests, %d syncs", n, fl.Syncs())
}

func TestFloorAfterClose(t *testing.T) {
	t.Parallel()
	fl, err := NewFloor(filepath.Join(t.TempDir(), "floor.log"))
	if err != nil {
		t.Fatal(err)
	}
	if err := fl.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fl.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	w := httptest.NewRecorder()
	fl.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x")))
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status after Close = %d, want 500", w.Code)
	}
}

func TestCeiling(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	Ceiling().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x")))
	if w.Code != http.StatusAccepted {
		t.Errorf("status = %d, want 202", w.Code)
	}
}
