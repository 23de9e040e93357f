package conformance

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sourceFieldRE finds the source a `hookgate check` error is about.
var sourceFieldRE = regexp.MustCompile(`sources\[(\d+)\]`)

// servable runs `hookgate check` on a config of every source and drops the
// sources it refuses, until the rest pass. It returns the names kept and,
// for each source dropped, hookgate's words about it: a preset that does not
// exist yet, or a config field it does not know.
func servable(t *testing.T, bin, dir string, sources map[string]map[string]any) ([]string, map[string]string) {
	t.Helper()
	names := slices.Sorted(maps.Keys(sources))
	dropped := map[string]string{}
	cfg := filepath.Join(dir, "check.yaml")
	for len(names) > 0 {
		if err := os.WriteFile(cfg, []byte(configYAML(filepath.Join(dir, "check.db"), sources, names)), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "check", "--config", cfg).CombinedOutput()
		if err == nil {
			return names, dropped
		}
		bad := map[int]bool{}
		for line := range strings.Lines(string(out)) {
			m := sourceFieldRE.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			i, _ := strconv.Atoi(m[1])
			if i < len(names) {
				bad[i] = true
				// Keep what follows "sources[N]", the field and the complaint:
				// the index and the file are the temporary config's.
				msg := strings.TrimSpace(line)
				msg = strings.TrimLeft(msg[strings.Index(msg, m[0])+len(m[0]):], ".: ")
				if prev := dropped[names[i]]; prev != "" {
					msg = prev + "; " + msg
				}
				dropped[names[i]] = msg
			}
		}
		if len(bad) == 0 {
			t.Fatalf("hookgate check refused the generated config, naming no source: %v\n%s", err, out)
		}
		var kept []string
		for i, n := range names {
			if !bad[i] {
				kept = append(kept, n)
			}
		}
		names = kept
	}
	return names, dropped
}
