package config

import (
	"fmt"
	"regexp"
	"strings"
)

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expand replaces ${NAME} and ${NAME:-default} in s with values from getenv,
// and the escape $${ with a literal ${. Any other $ is kept as is. A
// variable that is unset or empty takes its default; one with no default is
// an error (getenv cannot tell unset from empty, and an empty secret is never
// wanted). Defaults and substituted values are not expanded again.
func expand(s string, getenv func(string) string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated variable reference %q (write $${ for a literal ${)", s[i:])
			}
			ref := s[i+2 : i+2+end]
			v, err := lookup(ref, getenv)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += 2 + end + 1
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), nil
}

// lookup resolves the inside of one ${...} reference: NAME or NAME:-default.
func lookup(ref string, getenv func(string) string) (string, error) {
	name, def, hasDef := strings.Cut(ref, ":-")
	if !envNameRE.MatchString(name) {
		return "", fmt.Errorf("invalid variable reference %q (want ${NAME} or ${NAME:-default})", "${"+ref+"}")
	}
	var v string
	if getenv != nil {
		v = getenv(name)
	}
	switch {
	case v != "":
		return v, nil
	case hasDef:
		return def, nil
	}
	return "", fmt.Errorf("environment variable %s is not set", name)
}
