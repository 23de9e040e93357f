package destination

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBlocked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"::1", true},
		{"0.0.0.0", true},
		{"::", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"fd00::1", true},
		{"169.254.169.254", true}, // cloud metadata
		{"fe80::1", true},
		{"224.0.0.1", true},
		{"ff02::1", true},
		{"100.64.0.1", true},
		{"255.255.255.255", true},
		{"::ffff:127.0.0.1", true},  // IPv4-mapped
		{"::ffff:10.0.0.1", true},   // IPv4-mapped
		{"64:ff9b::a00:1", true},    // NAT64 of 10.0.0.1
		{"2002:7f00:1::", true},     // 6to4 of 127.0.0.1
		{"64:ff9b::808:808", false}, // NAT64 of 8.8.8.8
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"172.32.0.1", false},
		{"2606:4700:4700::1111", false},
	}
	for _, tt := range tests {
		if got := Blocked(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Blocked(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// onHost rewrites a test server's URL to use host (keeping the port).
func onHost(t *testing.T, srvURL, host string) string {
	t.Helper()
	u, err := url.Parse(srvURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = host + ":" + u.Port()
	return u.String()
}

func TestSSRFGuardRefusesAtDialTime(t *testing.T) {
	t.Parallel()
	srv, got := sink(t, nil)
	// "localhost" is a name, not an address: only a check on the address
	// actually dialled, after resolution, catches it.
	for _, host := range []string{"localhost", "127.0.0.1", "[::1]"} {
		t.Run(host, func(t *testing.T) {
			if host == "[::1]" && !hasIPv6Loopback() {
				t.Skip("no IPv6 loopback here")
			}
			h := newHTTP(t, HTTPConfig{URL: onHost(t, srv.URL, host), Network: Network{SSRFGuard: true}})
			res := h.Deliver(t.Context(), testEvent([]byte("{}"), ""), testDelivery())
			if !errors.Is(res.Err, ErrBlocked) || res.Status != 0 {
				t.Errorf("Deliver to %s = %+v, want ErrBlocked", host, res)
			}
		})
	}
	select {
	case r := <-got:
		t.Errorf("the guarded request reached the server: %+v", r)
	default:
	}
}

func hasIPv6Loopback() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func TestSSRFGuardAllowCIDRs(t *testing.T) {
	t.Parallel()
	srv, got := sink(t, nil)
	h := newHTTP(t, HTTPConfig{URL: onHost(t, srv.URL, "localhost"), Network: Network{
		SSRFGuard:  true,
		AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
	}})
	if res := h.Deliver(t.Context(), testEvent([]byte("{}"), ""), testDelivery()); res.Status != http.StatusOK {
		t.Fatalf("Deliver with loopback allowed = %+v, want status 200", res)
	}
	<-got
}

func TestSSRFGuardOffByDefault(t *testing.T) {
	t.Parallel()
	srv, got := sink(t, nil)
	h := newHTTP(t, HTTPConfig{URL: onHost(t, srv.URL, "localhost")})
	if res := h.Deliver(t.Context(), testEvent([]byte("{}"), ""), testDelivery()); res.Status != http.StatusOK {
		t.Fatalf("Deliver without the guard = %+v, want status 200", res)
	}
	<-got
}

func TestNetworkNeedsOwnTransport(t *testing.T) {
	t.Parallel()
	_, err := NewHTTP(HTTPConfig{URL: "http://example.com/", Client: &http.Client{}, Network: Network{SSRFGuard: true}})
	if err == nil {
		t.Error("NewHTTP with a Client and the guard: no error, want one")
	}
}

// writePEM writes blocks to a new file in dir and returns its path.
func writePEM(t *testing.T, dir, name string, blocks ...*pem.Block) string {
	t.Helper()
	var b []byte
	for _, blk := range blocks {
		b = append(b, pem.EncodeToMemory(blk)...)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTLSCAFileAndInsecure(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := writePEM(t, t.TempDir(), "ca.pem", &pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	tests := []struct {
		name string
		tls  TLS
		ok   bool
	}{
		{"system roots refuse a private CA", TLS{}, false},
		{"ca_file trusts it", TLS{CAFile: ca}, true},
		{"insecure_skip_verify", TLS{InsecureSkipVerify: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHTTP(t, HTTPConfig{URL: srv.URL, Network: Network{TLS: tt.tls}})
			res := h.Deliver(t.Context(), testEvent(nil, ""), testDelivery())
			if ok := res.Status == http.StatusOK; ok != tt.ok {
				t.Errorf("Deliver = %+v, want success %v", res, tt.ok)
			}
		})
	}
}

func TestTLSClientCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	caKey, caCert := newTestCA(t)
	clientKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "hookgate"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &clientKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile := writePEM(t, dir, "client.pem", &pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyFile := writePEM(t, dir, "client.key", &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != "hookgate" {
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	serverCA := writePEM(t, dir, "server-ca.pem", &pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})

	with := newHTTP(t, HTTPConfig{URL: srv.URL, Network: Network{TLS: TLS{CAFile: serverCA, CertFile: certFile, KeyFile: keyFile}}})
	if res := with.Deliver(t.Context(), testEvent(nil, ""), testDelivery()); res.Status != http.StatusOK {
		t.Errorf("Deliver with a client certificate = %+v, want status 200", res)
	}
	without := newHTTP(t, HTTPConfig{URL: srv.URL, Network: Network{TLS: TLS{CAFile: serverCA}}})
	if res := without.Deliver(t.Context(), testEvent(nil, ""), testDelivery()); res.Err == nil {
		t.Errorf("Deliver without a client certificate = %+v, want a TLS error", res)
	}
}

func newTestCA(t *testing.T) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

func TestTLSConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tls  TLS
		want string
	}{
		{"missing ca", TLS{CAFile: filepath.Join(dir, "none.pem")}, "ca_file"},
		{"not PEM", TLS{CAFile: notPEM}, "no PEM certificate"},
		{"cert without key", TLS{CertFile: notPEM}, "go together"},
		{"bad pair", TLS{CertFile: notPEM, KeyFile: notPEM}, "client certificate"},
	}
	for _, tt := range tests {
		_, err := NewHTTP(HTTPConfig{URL: "https://example.com/", Network: Network{TLS: tt.tls}})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: NewHTTP = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}
