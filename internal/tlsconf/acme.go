package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/hookgate/hookgate/internal/config"
)

// acmeCerts obtains and renews certificates with ACME (autocert). The
// Manager's renewal timers live as long as the process.
type acmeCerts struct {
	m       *autocert.Manager
	domains map[string]bool
	log     *slog.Logger
}

// errHostNotAllowed is the host policy's refusal: a handshake for a name
// that is not in acme.domains (scanners connecting by IP, or with made-up
// names), logged at debug only.
var errHostNotAllowed = errors.New("tls: server name not in acme.domains")

func newACME(c *config.ACME, log *slog.Logger) (*acmeCerts, error) {
	client := &acme.Client{DirectoryURL: c.DirectoryURL}
	if c.CAFile != "" {
		hc, err := trustingClient(c.CAFile)
		if err != nil {
			return nil, err
		}
		client.HTTPClient = hc
	}
	a := &acmeCerts{domains: map[string]bool{}, log: log}
	for _, d := range c.Domains {
		a.domains[strings.ToLower(d)] = true
	}
	a.m = &autocert.Manager{
		// Configuring acme is accepting the CA's terms of service, which
		// README's Deploy section says.
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(c.CacheDir),
		HostPolicy: a.allow,
		Email:      c.Email,
		Client:     client,
	}
	return a, nil
}

// trustingClient is an HTTP client that trusts the system's roots and
// those in caFile, for a private ACME server.
func trustingClient(caFile string) (*http.Client, error) {
	certs, err := config.ReadCerts(caFile)
	if err != nil {
		return nil, fmt.Errorf("acme ca_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: time.Minute}, nil
}

// allow is the host policy: the configured domains, in any case. On
// http_listen, autocert passes the Host header, which may carry a port.
func (a *acmeCerts) allow(_ context.Context, host string) error {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if !a.domains[strings.ToLower(host)] {
		return errHostNotAllowed
	}
	return nil
}

// getCertificate is tls.Config.GetCertificate: autocert's, with its
// failures logged (they would otherwise only reach the client).
func (a *acmeCerts) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	cert, err := a.m.GetCertificate(hello)
	if err != nil {
		level := slog.LevelWarn
		if errors.Is(err, errHostNotAllowed) || hello.ServerName == "" {
			level = slog.LevelDebug
		}
		a.log.Log(context.Background(), level, "tls certificate unavailable", "server_name", hello.ServerName, "err", err)
	}
	return cert, err
}

// alpnProto is the ALPN protocol of the tls-alpn-01 challenge.
func (a *acmeCerts) alpnProto() string { return acme.ALPNProto }

// httpHandler answers http-01 challenges and passes the rest to fallback.
func (a *acmeCerts) httpHandler(fallback http.Handler) http.Handler {
	return a.m.HTTPHandler(fallback)
}

// prefetch gets the certificate of every domain, from the cache or the CA,
// as a handshake for it would.
func (a *acmeCerts) prefetch() {
	for d := range a.domains {
		// What a client that takes ECDSA certificates sends.
		hello := &tls.ClientHelloInfo{
			ServerName:       d,
			SignatureSchemes: []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256},
			SupportedCurves:  []tls.CurveID{tls.CurveP256},
			CipherSuites:     []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		}
		cert, err := a.m.GetCertificate(hello)
		if err != nil {
			a.log.Warn("acme certificate not obtained yet; the next handshake tries again", "domain", d, "err", err)
			continue
		}
		a.log.Info("acme certificate ready", "domain", d, "issuer", cert.Leaf.Issuer.CommonName,
			"not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
}
