package destination

import (
	"strings"
	"testing"
)

func TestOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		limit  int
		writes []string
		want   string
	}{
		{"nothing", 64, nil, ""},
		{"fits", 64, []string{"ab", "cd"}, "abcd"},
		// head 8 and tail 8 around the marker
		{"exactly head and tail", 64, []string{"0123456789abcdef"}, "0123456789abcdef"},
		{"one write too many", 64, []string{"0123456789abcdefXYZ"}, "01234567\n[... 3 bytes omitted ...]\nbcdefXYZ"},
		{"many small writes", 64, strings.Split("0123456789abcdefghijklmnopqrstuvwxyz", ""), "01234567\n[... 20 bytes omitted ...]\nstuvwxyz"},
		{"a big write after a full tail", 64, []string{"0123456789abcdef", strings.Repeat("-", 100) + "tailtail"}, "01234567\n[... 108 bytes omitted ...]\ntailtail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := newOutput(tt.limit)
			for _, w := range tt.writes {
				if n, err := o.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v, want %d, nil", n, err, len(w))
				}
			}
			if got := string(o.Bytes()); got != tt.want {
				t.Errorf("Bytes = %q, want %q", got, tt.want)
			}
			if len(o.Bytes()) > tt.limit {
				t.Errorf("Bytes is %d long, past the limit %d", len(o.Bytes()), tt.limit)
			}
		})
	}
}
