// Command pebble-test-server runs Let's Encrypt's pebble, a small ACME
// server for tests, on loopback, for hookgate's ACME end-to-end test
// (e2e/tls_test.go builds and starts it).
//
// It is pebble's own cmd/pebble, built from the same packages (ca, db, va,
// wfe) at a pinned version, with what the test needs around it, in one
// process: a DNS server that answers 127.0.0.1 for every name (pebble's
// validation resolves challenge names through it, as cmd/pebble's
// -dnsserver does), an HTTPS certificate made at start whose root is
// written to -https-root (hookgate trusts it with acme.ca_file), and the
// issuing root written to -issuer-root (the test checks the certificate
// hookgate serves chains to it). Validation is real: pebble connects to
// -tls-port for tls-alpn-01 and -http-port for http-01; nothing is
// configured to be always valid.
//
// It is a module of its own so that pebble and its dependencies stay out
// of hookgate's go.mod.
//
//	pebble-test-server -tls-port P -http-port Q -https-root FILE -issuer-root FILE
//
// Once ready it prints one JSON line on stdout:
// {"directory":"https://127.0.0.1:N/dir","dns":"127.0.0.1:M"}.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address of the ACME directory")
	tlsPort := flag.Int("tls-port", 443, "port pebble connects to for tls-alpn-01")
	httpPort := flag.Int("http-port", 80, "port pebble connects to for http-01")
	httpsRoot := flag.String("https-root", "", "file to write the root of pebble's HTTPS certificate to (required)")
	issuerRoot := flag.String("issuer-root", "", "file to write the root of the certificates pebble issues to (required)")
	flag.Parse()
	if *httpsRoot == "" || *issuerRoot == "" {
		flag.Usage()
		os.Exit(2)
	}
	logger := log.New(os.Stderr, "pebble ", log.LstdFlags)
	// Validate at once rather than after pebble's random 0-15s pause.
	if os.Getenv("PEBBLE_VA_NOSLEEP") == "" {
		os.Setenv("PEBBLE_VA_NOSLEEP", "1")
	}

	dnsAddr, err := serveDNS(logger)
	check(err, "dns")
	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{
		"default": {Description: "default", ValidityPeriod: 0},
	})
	validator := va.New(logger, *httpPort, *tlsPort, false, dnsAddr, store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	check(os.WriteFile(*issuerRoot, authority.GetRootCert(0).PEM(), 0o644), "write issuer root")

	cert, rootPEM, err := httpsCert()
	check(err, "https certificate")
	check(os.WriteFile(*httpsRoot, rootPEM, 0o644), "write https root")
	ln, err := tls.Listen("tcp", *listen, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	check(err, "listen")
	ready, _ := json.Marshal(map[string]string{
		"directory": "https://" + ln.Addr().String() + wfe.DirectoryPath,
		"dns":       dnsAddr,
	})
	fmt.Println(string(ready))
	srv := &http.Server{Handler: front.Handler(), ReadHeaderTimeout: 10 * time.Second}
	check(srv.Serve(ln), "serve")
}

// serveDNS answers A queries with 127.0.0.1, and everything else with no
// records, on UDP and TCP, and returns the address.
func serveDNS(logger *log.Logger) (string, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	tl, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		return "", err
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		for _, q := range r.Question {
			if q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 0},
					A:   net.IPv4(127, 0, 0, 1),
				})
			}
		}
		if err := w.WriteMsg(m); err != nil {
			logger.Printf("dns: %v", err)
		}
	})
	go func() { check((&dns.Server{PacketConn: pc, Handler: h}).ActivateAndServe(), "dns udp") }()
	go func() { check((&dns.Server{Listener: tl, Handler: h}).ActivateAndServe(), "dns tcp") }()
	return pc.LocalAddr().String(), nil
}

// httpsCert makes a root and a certificate for 127.0.0.1 and localhost
// signed by it, and returns the certificate and the root's PEM.
func httpsCert() (tls.Certificate, []byte, error) {
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	rootTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "pebble-test-server HTTPS root"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, root, &key.PublicKey, rootKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert := tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rootDER}), nil
}

func check(err error, what string) {
	if err != nil {
		log.Fatalf("pebble-test-server: %s: %v", what, err)
	}
}
