package ui

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzSessionCookie feeds cookie values to the session parser: it must
// never panic, and it must accept only what the key signed.
func FuzzSessionCookie(f *testing.F) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := newSessions([]byte("0123456789abcdef0123456789abcdef"), time.Hour, false, func() time.Time { return now })
	good := s.seal("session", []byte(`{"id":"x","name":"ops","scope":"admin","exp":1900000000}`))
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add("." + good)
	f.Add("e30.")
	f.Add(strings.Repeat("A", maxCookie+1))
	f.Fuzz(func(t *testing.T, value string) {
		ss, ok := s.parse(value)
		if !ok {
			return
		}
		// Accepted: it must be exactly what seal makes of its payload.
		p, _, _ := strings.Cut(value, ".")
		payload, err := b64.DecodeString(p)
		if err != nil || s.seal("session", payload) != value {
			t.Fatalf("parse accepted %q, which seal did not make", value)
		}
		if ss.ID == "" || (ss.Scope != ScopeRead && ss.Scope != ScopeAdmin) || ss.Expires <= now.Unix() {
			t.Fatalf("parse accepted %+v", ss)
		}
		var back session
		if json.Unmarshal(payload, &back) != nil || back != ss {
			t.Fatalf("parse = %+v, payload says %s", ss, payload)
		}
	})
}

// FuzzQueryFields feeds raw query strings to the event page's query
// parser: no panic, no secret-looking parameter's value shown.
func FuzzQueryFields(f *testing.F) {
	f.Add("a=1&b=2")
	f.Add("token=abc&&=x&%zz=%zz")
	f.Add("hub.challenge=1&hub.verify_token=secret")
	f.Fuzz(func(t *testing.T, raw string) {
		fields := queryFields(raw)
		if len(fields) > strings.Count(raw, "&")+1 {
			t.Fatalf("queryFields(%q): %d fields", raw, len(fields))
		}
		for _, fl := range fields {
			if fl.Redacted && fl.Value != "" {
				t.Fatalf("queryFields(%q): redacted %q shows %q", raw, fl.Name, fl.Value)
			}
		}
	})
}

// FuzzShowBody feeds bodies to the body presenter: text is shown only
// when it is valid UTF-8 and a prefix of the body; the rest as a hex dump.
func FuzzShowBody(f *testing.F) {
	f.Add([]byte(`{"a":1}`))
	f.Add([]byte{0, 1, 2, 0xff})
	f.Add([]byte("é\x1b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v := showBody(b)
		if v.Size != len(b) {
			t.Fatalf("Size %d, want %d", v.Size, len(b))
		}
		if v.Binary {
			if v.Text != "" || (len(b) > 0 && v.Hex == "") {
				t.Fatalf("binary body: text %q, hex %q", v.Text, v.Hex)
			}
			return
		}
		if !utf8.ValidString(v.Text) || !bytes.HasPrefix(b, []byte(v.Text)) || v.Truncated != (len(v.Text) < len(b)) {
			t.Fatalf("text body %q shown as %q (truncated %v)", b, v.Text, v.Truncated)
		}
	})
}
