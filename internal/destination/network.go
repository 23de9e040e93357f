package destination

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// Network configures how a destination that speaks HTTP (http, s3) reaches
// its server. The zero value is the default transport: system roots, no
// guard.
type Network struct {
	// SSRFGuard refuses connections to addresses that are not public (see
	// Blocked), checked on the address actually dialled, after DNS: a name
	// that resolves, or later re-resolves, to 127.0.0.1 is refused too.
	// Proxies from the environment (HTTP_PROXY, ...) are not used while it
	// is on, since the proxy, not the destination, would be dialled.
	SSRFGuard bool
	// AllowCIDRs are networks the guard lets through all the same, such as
	// an internal service's 10.1.2.0/24. Used only with SSRFGuard.
	AllowCIDRs []netip.Prefix
	// TLS configures https connections.
	TLS TLS
}

// TLS configures the client side of https connections. Files are read when
// the destination is built.
type TLS struct {
	// CAFile is a PEM bundle of the certificate authorities to trust, in
	// place of the system's. Optional.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// servers that require one (mutual TLS). Both or neither.
	CertFile string
	KeyFile  string
	// InsecureSkipVerify accepts any server certificate. For tests only: it
	// lets anyone on the path read and change what is sent.
	InsecureSkipVerify bool
}

func (n Network) isZero() bool {
	return !n.SSRFGuard && len(n.AllowCIDRs) == 0 && n.TLS == TLS{}
}

// transport returns a transport for n: a clone of http.DefaultTransport
// that keeps more idle connections per host, dials through the guard when
// it is on, and uses n's TLS settings.
func (n Network) transport() (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	tc, err := n.TLS.config()
	if err != nil {
		return nil, err
	}
	if tc != nil {
		t.TLSClientConfig = tc
	}
	if n.SSRFGuard {
		g := guard{allow: n.AllowCIDRs}
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, ControlContext: g.control}
		t.DialContext = d.DialContext
		t.Proxy = nil
	}
	return t, nil
}

// config returns the tls.Config for c, or nil when c is the default.
func (c TLS) config() (*tls.Config, error) {
	if c == (TLS{}) {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: ca_file: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls: ca_file %s: no PEM certificate found", c.CAFile)
		}
	}
	switch {
	case c.CertFile != "" && c.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls: client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	case c.CertFile != "" || c.KeyFile != "":
		return nil, errors.New("tls: cert_file and key_file go together")
	}
	return tc, nil
}

// ErrBlocked is wrapped by the error of a dial the SSRF guard refused.
var ErrBlocked = errors.New("address not allowed by the SSRF guard")

// guard checks each address a dialer is about to connect to.
type guard struct {
	allow []netip.Prefix
}

// control is a net.Dialer ControlContext hook. It runs after name
// resolution and before connect, once per address tried, so it sees the
// address the connection would really go to.
func (g guard) control(_ context.Context, network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s %s: %w (unparsable address)", network, address, ErrBlocked)
	}
	a := ap.Addr().Unmap().WithZone("")
	for _, p := range g.allow {
		if p.Contains(a) {
			return nil
		}
	}
	if Blocked(a) {
		return fmt.Errorf("dial %s: %w (not a public address; see allow_cidrs)", a, ErrBlocked)
	}
	return nil
}

// blockedPrefixes are the special-purpose ranges Blocked refuses beyond the
// ones netip classifies.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT, shared address space
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and 255.255.255.255 broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("::/96"),           // deprecated IPv4-compatible
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// Blocked reports whether the SSRF guard refuses a: unspecified, loopback,
// private (RFC 1918, fc00::/7), link-local, multicast, and the other
// special-purpose ranges in blockedPrefixes; IPv4 addresses embedded in
// IPv4-mapped, NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are
// judged as IPv4.
func Blocked(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsUnspecified() || a.IsLoopback() || a.IsPrivate() ||
		a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsInterfaceLocalMulticast() || a.IsLinkLocalMulticast() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return Blocked(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(a):
			return Blocked(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return false
}

// network builds the transport that cfg.Network asks for, into
// cfg.Transport. A zero Network changes nothing.
func (cfg *HTTPConfig) network() error {
	if cfg.Network.isZero() {
		return nil
	}
	if cfg.Client != nil || cfg.Transport != nil {
		return errors.New("network options need hookgate's own transport (Client and Transport must be nil)")
	}
	t, err := cfg.Network.transport()
	if err != nil {
		return err
	}
	cfg.Transport = t
	return nil
}
