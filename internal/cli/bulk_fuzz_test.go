package cli

import (
	"testing"
	"time"
)

// FuzzParseTime: parseTime never panics, and a duration is never read as a
// time in the future.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-05-01T12:00:00Z", "2026-05-01", "24h", "-5m", "1e9h", ""} {
		f.Add(s)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTime(s, now)
		if err != nil {
			return
		}
		if _, derr := time.ParseDuration(s); derr == nil && got.After(now) {
			t.Fatalf("parseTime(%q) = %v, after now", s, got)
		}
	})
}
