package auth

import (
	"encoding/base64"
	"net/netip"
	"strings"
	"testing"
)

// FuzzCredentials checks the Authorization parser: it never panics, what
// it returns is one word with no space or control character, and a token
// it returns survives a round trip.
func FuzzCredentials(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  abc ", "Bearer", "Bearer a b", "Basic YTpi", "Bearer \x00", "Bearer\tx", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		cred, ok := credentials(v, "Bearer")
		if !ok {
			return
		}
		if cred == "" || strings.ContainsFunc(cred, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			t.Fatalf("credentials(%q) = %q: want one non-empty word", v, cred)
		}
		if again, ok := credentials("Bearer "+cred, "bearer"); !ok || again != cred {
			t.Fatalf("round trip of %q: got %q, %v", cred, again, ok)
		}
	})
}

// FuzzBasic checks the Basic parser against what it encodes.
func FuzzBasic(f *testing.F) {
	f.Add("gw", "pa:ss")
	f.Add("", "")
	f.Add("ü", "\x00")
	f.Fuzz(func(t *testing.T, user, password string) {
		v := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
		u, p, ok := parseBasic(v)
		if strings.Contains(user, ":") {
			return // the user name ends at the first ':'
		}
		if !ok || u != user || p != password {
			t.Fatalf("parseBasic(%q) = %q, %q, %v; want %q, %q", v, u, p, ok, user, password)
		}
		parseBasic(user + password) // never panics
	})
}

// FuzzForwardedFor checks the client address rule: it never panics, and
// the address it gives is the peer or one of the X-Forwarded-For entries,
// never from X-Forwarded-For when the peer is not trusted.
func FuzzForwardedFor(f *testing.F) {
	f.Add("10.0.0.1:443", "192.0.2.1, 10.0.0.2")
	f.Add("192.0.2.9:1", "10.0.0.1")
	f.Add("[::1]:1", "[2001:db8::1]:80,unknown")
	f.Add("10.1.1.1:1", ",,, ,")
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		got, ok := clientAddr(remote, []string{xff}, trusted)
		if !ok {
			return
		}
		peer, _ := parseAddr(remote)
		if !inAny(trusted, peer) {
			if got != peer {
				t.Fatalf("untrusted peer %q: got %v from X-Forwarded-For %q", remote, got, xff)
			}
			return
		}
		if got == peer {
			return
		}
		for _, e := range forwardedFor([]string{xff}) {
			if a, ok := parseAddr(e); ok && a == got {
				return
			}
		}
		t.Fatalf("clientAddr(%q, %q) = %v: neither the peer nor an entry", remote, xff, got)
	})
}
