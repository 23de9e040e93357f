package ui

import (
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hookgate/hookgate/internal/redact"
)

const (
	// maxTextBody bounds a body shown as text; maxHexBody one shown as a
	// hex dump (four times as long on the page).
	maxTextBody = 256 << 10
	maxHexBody  = 64 << 10
)

// field is one header or query parameter as shown: Value is empty when
// Redacted (its name looks secret; see redact.Secret), and Size is then the
// hidden value's length.
type field struct {
	Name     string
	Value    string
	Redacted bool
	Size     int
}

func shown(name, value string) field {
	if redact.Secret(name) {
		return field{Name: name, Redacted: true, Size: len(value)}
	}
	return field{Name: name, Value: value}
}

// headerFields lists h by name, one field per value, secrets redacted.
func headerFields(h http.Header) []field {
	var out []field
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			out = append(out, shown(k, v))
		}
	}
	return out
}

// queryFields lists a raw query string's parameters in order, secrets
// redacted. A query that does not parse is shown whole, unless a secret
// word appears in it.
func queryFields(raw string) []field {
	var out []field
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		name, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			name, value = k, v
		}
		out = append(out, shown(name, value))
	}
	return out
}

// body is a request or response body as shown: as text when it is text,
// else as a hex dump.
type body struct {
	Size      int
	Text      string
	Hex       string
	Binary    bool
	Truncated bool
}

// showBody prepares b for the page, cut to a bounded length.
func showBody(b []byte) body {
	v := body{Size: len(b)}
	if isText(b) {
		if len(b) > maxTextBody {
			b, v.Truncated = b[:maxTextBody], true
			for !utf8.Valid(b) { // do not cut a rune in two
				b = b[:len(b)-1]
			}
		}
		v.Text = string(b)
		return v
	}
	v.Binary = true
	if len(b) > maxHexBody {
		b, v.Truncated = b[:maxHexBody], true
	}
	v.Hex = hex.Dump(b)
	return v
}

// isText reports whether b reads as text: UTF-8 without control
// characters other than tab, newline and carriage return.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}
