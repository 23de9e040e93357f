package ui

import (
	"testing"
	"time"
)

// Values made by this package are accepted only as written: CR or LF
// inserted anywhere (which the base64 decoder would skip) makes a cookie or
// a CSRF token bad.
func TestSealedValuesExact(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := newSessions([]byte("0123456789abcdef0123456789abcdef"), time.Hour, false, func() time.Time { return now })
	cookie := s.seal("session", []byte(`{"id":"x","name":"ops","scope":"admin","exp":1900000000}`))
	if _, ok := s.parse(cookie); !ok {
		t.Fatalf("parse(%q) refused the sealed cookie", cookie)
	}
	token := s.csrf("x")
	if !s.checkCSRF("x", token) {
		t.Fatalf("checkCSRF refused the session's token")
	}
	for _, bad := range []string{"\r", "\n", "=", " "} {
		for _, at := range []int{1, len(cookie) - 3} {
			if v := cookie[:at] + bad + cookie[at:]; func() bool { _, ok := s.parse(v); return ok }() {
				t.Errorf("parse accepted the cookie with %q at %d", bad, at)
			}
		}
		if v := token[:5] + bad + token[5:]; s.checkCSRF("x", v) {
			t.Errorf("checkCSRF accepted the token with %q inserted", bad)
		}
	}
}
