package route

import (
	"testing"

	"github.com/google/cel-go/common/types"
)

// A body that is not JSON, including JSON-shaped bytes that are not valid
// UTF-8, is null to filters; valid JSON is not.
func TestParseBody(t *testing.T) {
	for _, c := range []struct {
		name string
		body string
		null bool
	}{
		{"object", `{"kind":"wanted"}`, false},
		{"array", `[1,2]`, false},
		{"empty", ``, true},
		{"truncated", `{"kind":"wanted"`, true},
		{"trailing comma", `{"kind":"wanted",}`, true},
		{"invalid UTF-8 in a string", "{\"kind\":\"wanted\",\"x\":\"\xff\"}", true},
		{"invalid UTF-8 before", "\xff{\"kind\":\"wanted\"}", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := parseBody([]byte(c.body)) == types.NullValue
			if got != c.null {
				t.Errorf("parseBody(%q) is null: got %v, want %v", c.body, got, c.null)
			}
		})
	}
}
