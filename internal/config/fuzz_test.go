package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, that every problem it
// reports prints as something, and that what it accepts also passes
// Validate.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	seeds = append(seeds, filepath.Join("..", "..", "examples", "quickstart.yaml"), filepath.Join("..", "..", "examples", "https.yaml"))
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("sources: [{name: a, provider: hmac, hmac: &h {header: x}}, {<<: *h, name: b}]\n"))
	f.Add([]byte("listen: ${A:-x}:${B}\nlog: {level: $${C}}\n"))
	getenv := env("GITHUB_WEBHOOK_SECRET", "gh", "X_CONSUMER_SECRET", "x", "B", "8080")
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data, Options{Getenv: getenv, CheckSource: checkSource})
		if err != nil {
			if c != nil {
				t.Errorf("Parse returned a config and an error")
			}
			for _, e := range split(err) {
				if e.Error() == "" {
					t.Errorf("empty problem in %q", err)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Parse accepted a config that Validate rejects: %v", err)
		}
	})
}
