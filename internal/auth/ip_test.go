package auth

import (
	"net/netip"
	"testing"

	"github.com/hookgate/hookgate/internal/config"
)

func TestIPAllow(t *testing.T) {
	t.Parallel()
	p := newPolicy(t, &config.Auth{IPAllow: &config.IPAllow{
		CIDRs:          []string{"198.51.100.0/24", "2001:db8::/32"},
		TrustedProxies: []string{"127.0.0.1/32", "10.0.0.0/8"},
	}}, Options{})
	tests := []struct {
		name    string
		remote  string
		headers []string
		status  int
		reason  string
	}{
		{"direct peer allowed", "198.51.100.7:40000", nil, 0, ""},
		{"direct IPv6 peer allowed", "[2001:db8::5]:40000", nil, 0, ""},
		{"IPv4-mapped peer allowed", "[::ffff:198.51.100.7]:40000", nil, 0, ""},
		{"direct peer refused", "203.0.113.9:40000", nil, 403, "client address not allowed"},
		{"spoofed XFF from an untrusted peer is ignored", "203.0.113.9:40000",
			[]string{"X-Forwarded-For", "198.51.100.7"}, 403, "client address not allowed"},
		{"allowed peer keeps its own address whatever XFF says", "198.51.100.7:40000",
			[]string{"X-Forwarded-For", "203.0.113.9"}, 0, ""},
		{"trusted proxy", "127.0.0.1:40000",
			[]string{"X-Forwarded-For", "198.51.100.7"}, 0, ""},
		{"trusted proxy chain", "127.0.0.1:40000",
			[]string{"X-Forwarded-For", "198.51.100.7, 10.0.0.2, 10.9.9.9"}, 0, ""},
		{"client-forged entries left of the first untrusted hop are ignored", "127.0.0.1:40000",
			[]string{"X-Forwarded-For", "198.51.100.7, 203.0.113.9, 10.0.0.2"}, 403, "client address not allowed"},
		{"forged allowed address behind a disallowed client", "127.0.0.1:40000",
			[]string{"X-Forwarded-For", "203.0.113.9, 198.51.100.7"}, 0, ""},
		{"several XFF headers read as one list", "127.0.0.1:40000",
			[]string{"X-Forwarded-For", "203.0.113.9", "X-Forwarded-For", "198.51.100.7, 10.0.0.2"}, 0, ""},
		{"XFF entry with a port", "127.0.0.1:40000",
			[]string{"X-Forwarded-For", "198.51.100.7:1234"}, 0, ""},
		{"XFF IPv6 with a port", "127.0.0.1:40000",
			[]string{"X-Forwarded-For", "[2001:db8::1]:1234"}, 0, ""},
		{"trusted proxy without XFF is the client", "127.0.0.1:40000", nil, 403, "client address not allowed"},
		{"unparsable hop", "127.0.0.1:40000",
			[]string{"X-Forwarded-For", "198.51.100.7, unknown"}, 403, "client address unknown"},
		{"unparsable peer", "pipe", nil, 403, "client address unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkResult(t, p.Authenticate(request(tt.remote, tt.headers...), nil), tt.status, tt.reason)
		})
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		remote string
		xff    []string
		want   string
	}{
		{"192.0.2.1:1", nil, "192.0.2.1"},
		{"192.0.2.1:1", []string{"10.0.0.1"}, "192.0.2.1"},
		{"10.0.0.1:1", nil, "10.0.0.1"},
		{"10.0.0.1:1", []string{""}, "10.0.0.1"},
		{"10.0.0.1:1", []string{"192.0.2.9"}, "192.0.2.9"},
		{"10.0.0.1:1", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"}, // all trusted: left-most
		{"10.0.0.1:1", []string{"a, 192.0.2.9,, 10.0.0.2"}, "192.0.2.9"},
		{"[fe80::1%eth0]:1", nil, "fe80::1"},
	}
	for _, tt := range tests {
		got, ok := clientAddr(tt.remote, tt.xff, trusted)
		if !ok || got.String() != tt.want {
			t.Errorf("clientAddr(%q, %q) = %v, %v; want %s", tt.remote, tt.xff, got, ok, tt.want)
		}
	}
}
