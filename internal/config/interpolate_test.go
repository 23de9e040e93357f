package config

import "testing"

func TestExpand(t *testing.T) {
	t.Parallel()
	env := map[string]string{"A": "alpha", "B_2": "beta", "DOLLAR": "${A}", "EMPTY": ""}
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "plain", want: "plain"},
		{in: "", want: ""},
		{in: "${A}", want: "alpha"},
		{in: "x-${A}-${B_2}-y", want: "x-alpha-beta-y"},
		{in: "${MISSING:-fallback}", want: "fallback"},
		{in: "${MISSING:-}", want: ""},
		{in: "${EMPTY:-used when empty}", want: "used when empty"},
		{in: "${A:-unused}", want: "alpha"},
		{in: "${MISSING:-a:-b}", want: "a:-b"},
		{in: "${MISSING:-$HOME}", want: "$HOME"},
		{in: "$${A}", want: "${A}"},
		{in: "$${A} and ${A}", want: "${A} and alpha"},
		{in: "cost: $5, $$5, $", want: "cost: $5, $$5, $"},
		{in: "$A", want: "$A"},
		{in: "${DOLLAR}", want: "${A}"}, // values are not expanded again
		{in: "${MISSING}", wantErr: "environment variable MISSING is not set"},
		{in: "${EMPTY}", wantErr: "environment variable EMPTY is not set"},
		{in: "${}", wantErr: `invalid variable reference "${}" (want ${NAME} or ${NAME:-default})`},
		{in: "${1A}", wantErr: `invalid variable reference "${1A}" (want ${NAME} or ${NAME:-default})`},
		{in: "${A-x}", wantErr: `invalid variable reference "${A-x}" (want ${NAME} or ${NAME:-default})`},
		{in: "${A B}", wantErr: `invalid variable reference "${A B}" (want ${NAME} or ${NAME:-default})`},
		{in: "abc ${A", wantErr: `unterminated variable reference "${A" (write $${ for a literal ${)`},
	}
	for _, tt := range tests {
		got, err := expand(tt.in, func(k string) string { return env[k] })
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("expand(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestExpandNilGetenv(t *testing.T) {
	t.Parallel()
	if got, err := expand("${A:-d}", nil); err != nil || got != "d" {
		t.Errorf("expand with nil getenv = %q, %v; want %q", got, err, "d")
	}
	if _, err := expand("${A}", nil); err == nil {
		t.Errorf("expand(${A}) with nil getenv: got no error")
	}
}
