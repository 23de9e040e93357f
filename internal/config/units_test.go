package config

import (
	"math"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Duration
		wantErr string
	}{
		{in: "250ms", want: Duration(250 * time.Millisecond)},
		{in: "5s", want: Duration(5 * time.Second)},
		{in: "1h30m", want: Duration(90 * time.Minute)},
		{in: "0s", want: 0},
		{in: "5x", wantErr: `invalid duration "5x"`},
		{in: "", wantErr: `invalid duration ""`},
		{in: "5", wantErr: `invalid duration "5": missing unit (as in "5s")`},
		{in: "-5s", wantErr: `invalid duration "-5s": must not be negative`},
		{in: "9999999h", wantErr: `invalid duration "9999999h"`},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseDuration(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestDurationString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{250 * time.Millisecond, "250ms"},
		{time.Minute, "1m"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + time.Second, "1h0m1s"},
	}
	for _, tt := range tests {
		if got := Duration(tt.in).String(); got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := ParseDuration(Duration(tt.in).String()); err != nil || back.D() != tt.in {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", Duration(tt.in), back, err, tt.in)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    ByteSize
		wantErr string
	}{
		{in: "0", want: 0},
		{in: "1048576", want: 1 << 20},
		{in: "10B", want: 10},
		{in: "2KB", want: 2000},
		{in: "2MB", want: 2_000_000},
		{in: "2GB", want: 2_000_000_000},
		{in: "512KiB", want: 512 << 10},
		{in: "1MiB", want: 1 << 20},
		{in: "3GiB", want: 3 << 30},
		{in: "1.5MiB", want: 3 << 19},
		{in: "1.5KB", want: 1500},
		{in: "1 MiB", want: 1 << 20},
		{in: "1mib", want: 1 << 20},
		{in: "1kb", want: 1000},
		{in: "8589934591GiB", want: 8589934591 << 30},
		{in: "9223372036854775807", want: math.MaxInt64},
		{in: "9223372036854775808", wantErr: `invalid size "9223372036854775808": too large`},
		{in: "8589934592GiB", wantErr: `invalid size "8589934592GiB": too large`},
		{in: "-1", wantErr: `invalid size "-1": must not be negative`},
		{in: "-1MiB", wantErr: `invalid size "-1MiB": must not be negative`},
		{in: "1.5B", wantErr: `invalid size "1.5B": not a whole number of bytes`},
		{in: "1XB", wantErr: `invalid size "1XB": unknown unit "XB" (use B, KB, MB, GB, KiB, MiB, GiB)`},
		{in: "1TB", wantErr: `invalid size "1TB": unknown unit "TB" (use B, KB, MB, GB, KiB, MiB, GiB)`},
		{in: "MiB", wantErr: `invalid size "MiB" (use bytes or a unit: B, KB, MB, GB, KiB, MiB, GiB)`},
		{in: "1e3", wantErr: `invalid size "1e3" (use bytes or a unit: B, KB, MB, GB, KiB, MiB, GiB)`},
		{in: "", wantErr: `invalid size "" (use bytes or a unit: B, KB, MB, GB, KiB, MiB, GiB)`},
		{in: "0x10", wantErr: `invalid size "0x10" (use bytes or a unit: B, KB, MB, GB, KiB, MiB, GiB)`},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseByteSize(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestByteSizeString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   ByteSize
		want string
	}{
		{0, "0B"},
		{1, "1B"},
		{1500, "1500B"},
		{1536, "1536B"},
		{2048, "2KiB"},
		{64 * KiB, "64KiB"},
		{MiB, "1MiB"},
		{3 * GiB, "3GiB"},
		{2 * MB, "2MB"},
		{1000, "1KB"},
		{GB, "1GB"},
		{math.MaxInt64, "9223372036854775807B"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

// Both types also work with yaml's own decoder, for other packages' use.
func TestUnitsWithYAMLDecoder(t *testing.T) {
	t.Parallel()
	var v struct {
		D Duration `yaml:"d"`
		B ByteSize `yaml:"b"`
	}
	if err := yaml.Unmarshal([]byte("d: 1m30s\nb: 2MiB\n"), &v); err != nil {
		t.Fatal(err)
	}
	if v.D.D() != 90*time.Second || v.B != 2*MiB {
		t.Errorf("got %v, %v; want 1m30s, 2MiB", v.D, v.B)
	}
	if err := yaml.Unmarshal([]byte("d: [1]\n"), &v); err == nil {
		t.Errorf("got no error decoding a list as a duration")
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "d: 1m30s\nb: 2MiB\n"; got != want {
		t.Errorf("Marshal = %q, want %q", got, want)
	}
}

// FuzzParseByteSize checks that parsing never panics and that String reads
// back to the same size.
func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"0", "1", "1MiB", "1.5KB", "64KiB", "-1", "9223372036854775807", "1.000000000001GiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseByteSize(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseByteSize(%q): empty error", s)
			}
			return
		}
		if b < 0 {
			t.Fatalf("ParseByteSize(%q) = %d, negative", s, b)
		}
		back, err := ParseByteSize(b.String())
		if err != nil || back != b {
			t.Fatalf("ParseByteSize(%q) = %d; its String %q reads back as %d, %v", s, b, b.String(), back, err)
		}
	})
}
