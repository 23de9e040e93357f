package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain removes the binaries the tests built (hookgate, pebble) once
// they have run: each is tens of megabytes, and a temp folder left per run
// adds up on a developer's machine.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, bin := range []string{binPath, pebbleBin} {
		if bin != "" {
			os.RemoveAll(filepath.Dir(bin))
		}
	}
	os.Exit(code)
}
