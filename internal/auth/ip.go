package auth

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/hookgate/hookgate/internal/config"
)

// ipAllow admits only clients whose address is inside one of its networks.
// The client address is found by clientAddr's rule.
type ipAllow struct {
	allowed []netip.Prefix
	trusted []netip.Prefix
}

func newIPAllow(c *config.IPAllow) (*ipAllow, error) {
	a := &ipAllow{}
	for _, s := range c.CIDRs {
		p, err := config.ParseCIDR(s)
		if err != nil {
			return nil, err
		}
		a.allowed = append(a.allowed, p)
	}
	for _, s := range c.TrustedProxies {
		p, err := config.ParseCIDR(s)
		if err != nil {
			return nil, err
		}
		a.trusted = append(a.trusted, p)
	}
	return a, nil
}

func (a *ipAllow) authenticate(r *http.Request) *Failure {
	client, ok := clientAddr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), a.trusted)
	if !ok {
		return forbidden("client address unknown")
	}
	if !inAny(a.allowed, client) {
		return forbidden("client address not allowed")
	}
	return nil
}

// clientAddr returns the client's address:
//   - the TCP peer (remoteAddr), unless the peer is inside trusted;
//   - when it is, the right-most address of X-Forwarded-For (xff, every
//     header of that name read as one comma-separated list, in order) that
//     is not inside trusted: each trusted proxy appends the address it got
//     the request from, so that is the first hop no trusted proxy vouches
//     for, and anything left of it may be forged by the client;
//   - when every listed address is trusted, the left-most one; with no
//     X-Forwarded-For, the peer.
//
// An unparsable entry met on the walk from the right (such as "unknown")
// makes the address unknown: ok is false.
func clientAddr(remoteAddr string, xff []string, trusted []netip.Prefix) (netip.Addr, bool) {
	peer, ok := parseAddr(remoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if !inAny(trusted, peer) {
		return peer, true
	}
	hops := forwardedFor(xff)
	client := peer
	for _, hop := range slices.Backward(hops) {
		a, ok := parseAddr(hop)
		if !ok {
			return netip.Addr{}, false
		}
		client = a
		if !inAny(trusted, a) {
			break
		}
	}
	return client, true
}

// forwardedFor splits X-Forwarded-For values into their entries, in order,
// without blanks.
func forwardedFor(values []string) []string {
	var out []string
	for _, v := range values {
		for e := range strings.SplitSeq(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

// parseAddr reads an address with or without a port: 192.0.2.1,
// 192.0.2.1:443, 2001:db8::1, [2001:db8::1]:443. IPv4-mapped IPv6
// addresses are read as IPv4, and zones are dropped.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err2 := netip.ParseAddrPort(s)
		if err2 != nil {
			trimmed, ok := strings.CutPrefix(s, "[")
			if trimmed, ok = strings.CutSuffix(trimmed, "]"); !ok {
				return netip.Addr{}, false
			}
			if a, err = netip.ParseAddr(trimmed); err != nil {
				return netip.Addr{}, false
			}
		} else {
			a = ap.Addr()
		}
	}
	return a.Unmap().WithZone(""), true
}

func inAny(nets []netip.Prefix, a netip.Addr) bool {
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
