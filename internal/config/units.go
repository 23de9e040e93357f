package config

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	_ yaml.Unmarshaler = (*Duration)(nil)
	_ yaml.Marshaler   = Duration(0)
	_ yaml.Unmarshaler = (*ByteSize)(nil)
	_ yaml.Marshaler   = ByteSize(0)
	_ fmt.Stringer     = Duration(0)
	_ fmt.Stringer     = ByteSize(0)
)

// ParseDuration parses s as time.ParseDuration does ("250ms", "1h30m"), and
// rejects negative durations.
func ParseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil && isDigits(s):
		return 0, fmt.Errorf("invalid duration %q: missing unit (as in \"%ss\")", s, s)
	case err != nil:
		return 0, fmt.Errorf("invalid duration %q", s)
	case d < 0:
		return 0, fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	return Duration(d), nil
}

// UnmarshalYAML reads a duration string such as "5s" or "1m30s".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a duration such as \"5s\", got %s", kindName(n))
	}
	v, err := ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML writes d as String does.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// String formats d as time.Duration does, without trailing zero units:
// "1m" rather than "1m0s", "1h30m" rather than "1h30m0s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Size units, decimal (1000-based) and binary (1024-based).
const (
	KB  ByteSize = 1000
	MB  ByteSize = 1000 * KB
	GB  ByteSize = 1000 * MB
	KiB ByteSize = 1 << 10
	MiB ByteSize = 1 << 20
	GiB ByteSize = 1 << 30
)

// units maps a lower-cased unit to its size. Units are matched without
// regard to case: "1mb" is 1MB, "1mib" is 1MiB.
var units = map[string]ByteSize{
	"": 1, "b": 1,
	"kb": KB, "mb": MB, "gb": GB,
	"kib": KiB, "mib": MiB, "gib": GiB,
}

var sizeRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)$`)

// ParseByteSize parses a size: a plain number of bytes ("1048576") or a
// number with a unit, B, KB, MB, GB (1000-based) or KiB, MiB, GiB
// (1024-based), such as "512KiB", "1.5MB" or "1 MiB". The result must be a
// whole number of bytes that fits in an int64.
func ParseByteSize(s string) (ByteSize, error) {
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("invalid size %q: must not be negative", s)
	}
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("invalid size %q (use bytes or a unit: B, KB, MB, GB, KiB, MiB, GiB)", s)
	}
	unit, ok := units[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (use B, KB, MB, GB, KiB, MiB, GiB)", s, m[2])
	}
	if len(m[1]) > 40 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	r, ok := new(big.Rat).SetString(m[1])
	if !ok {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	r.Mul(r, new(big.Rat).SetInt64(int64(unit)))
	switch {
	case !r.IsInt():
		return 0, fmt.Errorf("invalid size %q: not a whole number of bytes", s)
	case !r.Num().IsInt64():
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return ByteSize(r.Num().Int64()), nil
}

// UnmarshalYAML reads a size as ParseByteSize does.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a size such as \"1MiB\", got %s", kindName(n))
	}
	v, err := ParseByteSize(strings.TrimSpace(n.Value))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalYAML writes b as String does.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

// String formats b in the largest unit that divides it exactly, preferring
// binary units: 1048576 is "1MiB", 2000000 is "2MB", 1500 is "1500B".
// ParseByteSize reads it back to the same value.
func (b ByteSize) String() string {
	if b == 0 {
		return "0B"
	}
	for _, u := range []struct {
		size ByteSize
		name string
	}{{GiB, "GiB"}, {MiB, "MiB"}, {KiB, "KiB"}, {GB, "GB"}, {MB, "MB"}, {KB, "KB"}} {
		if b%u.size == 0 {
			return fmt.Sprintf("%d%s", b/u.size, u.name)
		}
	}
	return fmt.Sprintf("%dB", int64(b))
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// kindName describes a node's kind for error messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}
