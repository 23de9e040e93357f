package conformance

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// corpus is what gen.mjs writes (see README.md for every field).
type corpus struct {
	GeneratedAtMS int64                     `json:"generated_at_ms"`
	Node          string                    `json:"node"`
	Packages      map[string]string         `json:"packages"`
	Sources       map[string]map[string]any `json:"sources"`
	Cases         []testCase                `json:"cases"`
}

// testCase is one request and the answer hookgate must give.
type testCase struct {
	ID         string            `json:"id"`
	Provider   string            `json:"provider"`
	Category   string            `json:"category"`
	Expect     string            `json:"expect"`
	Strictness string            `json:"strictness"`
	Reason     string            `json:"reason"`
	Source     string            `json:"source"`
	Method     string            `json:"method"`
	Path       string            `json:"path"`
	Query      string            `json:"query"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
	Expected   expected          `json:"expected_response"`
	Divergence *string           `json:"divergence"`
	// SignedAt and Tolerance are set for timestamped schemes (seconds).
	SignedAt  *int64   `json:"signed_at_unix"`
	Tolerance *float64 `json:"tolerance_s"`
}

// expected is the answer a case wants. Accepted means hookgate's own ack:
// 200 with {"status":"accepted"} (or "duplicate"). StatusIn lists the
// statuses a refusal may use. Otherwise Status must match exactly, and
// ContentType (media type only) and Body when given; Alternatives are other
// (content type, body) pairs that are just as good.
type expected struct {
	Accepted     bool          `json:"accepted"`
	Status       int           `json:"status"`
	StatusIn     []int         `json:"status_in"`
	ContentType  string        `json:"content_type"`
	Body         *string       `json:"body"`
	Alternatives []alternative `json:"alternatives"`
}

type alternative struct {
	ContentType string `json:"content_type"`
	Body        string `json:"body"`
}

func (e expected) String() string {
	switch {
	case e.Accepted:
		return `200 {"status":"accepted"|"duplicate"}`
	case len(e.StatusIn) > 0:
		return fmt.Sprint("one of ", e.StatusIn)
	}
	s := fmt.Sprint(e.Status)
	if e.ContentType != "" {
		s += " " + e.ContentType
	}
	if e.Body != nil {
		s += fmt.Sprintf(" %q", clip(*e.Body))
	}
	for _, a := range e.Alternatives {
		s += fmt.Sprintf(" or %s %q", a.ContentType, clip(a.Body))
	}
	return s
}

func readCorpus(path string) (*corpus, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c corpus
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	if len(c.Cases) == 0 {
		return nil, fmt.Errorf("%s holds no cases", path)
	}
	for _, k := range c.Cases {
		if _, ok := c.Sources[k.Source]; !ok {
			return nil, fmt.Errorf("%s: case %s names source %q, which has no config", path, k.ID, k.Source)
		}
	}
	return &c, nil
}

// configYAML is a hookgate config serving sources (name -> source config)
// on 127.0.0.1 with SQLite in dir. Sources have no routes: storing an event
// is all a case needs. Values are written as JSON strings, which YAML reads
// as double-quoted scalars.
func configYAML(dbPath string, sources map[string]map[string]any, names []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen: \"127.0.0.1:0\"\nstorage:\n  driver: sqlite\n  path: %s\nlog:\n  level: info\n  format: json\nsources:\n", quote(dbPath))
	for _, name := range names {
		cfg := sources[name]
		fmt.Fprintf(&b, "  - name: %s\n", quote(name))
		fmt.Fprintf(&b, "    provider: %s\n", quote(cfg["provider"]))
		for _, k := range slices.Sorted(maps.Keys(cfg)) {
			if k == "provider" {
				continue
			}
			fmt.Fprintf(&b, "    %s: %s\n", k, quote(cfg[k]))
		}
	}
	return b.String()
}

// quote renders v as YAML: JSON is valid YAML for strings, numbers and
// lists. "${" is doubled so that hookgate does not read it as a variable.
func quote(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal %#v: %v", v, err)) // corpus values are JSON already
	}
	return strings.ReplaceAll(string(b), "${", "$${")
}

// clip shortens s for a failure message.
func clip(s string) string {
	const max = 160
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
