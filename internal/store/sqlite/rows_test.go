package sqlite

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzHeaderJSON checks that appendHeaderJSON writes exactly what
// encoding/json does (HTML escaping off), so stored headers are plain JSON
// that encoding/json reads back.
func FuzzHeaderJSON(f *testing.F) {
	for _, s := range []string{"", "plain", `"quoted" \back`, "<tag>&amp;", "tab\tnew\nline\r\x00\x1f\x7f\b\f",
		"héllo ✓ 日本", "\u2028\u2029", "bad \xff\xfe utf-8 \xed\xa0\x80", "\xc3"} {
		f.Add("X-Key", s, s+"2")
	}
	f.Fuzz(func(t *testing.T, key, v1, v2 string) {
		h := http.Header{key: {v1, v2}, "A": nil, "Z-Empty": {}, "Content-Type": {v1}}
		got, _ := appendHeaderJSON(nil, nil, h)

		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(h); err != nil {
			t.Fatal(err)
		}
		if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got, w) {
			t.Fatalf("appendHeaderJSON(%q)\n got %s\nwant %s", h, got, w)
		}
	})
}
