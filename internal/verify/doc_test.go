package verify

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/providers.md from the registry")

// TestProvidersDoc fails when docs/providers.md is not what the registry
// renders; `go generate ./internal/verify` (go test -update) rewrites it.
func TestProvidersDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "providers.md")
	want := markdown(Presets())
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go generate ./internal/verify)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run go generate ./internal/verify", path)
	}
}
