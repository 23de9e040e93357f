// Package tlsconf turns server.tls into the *tls.Config that hookgate's
// listeners serve HTTPS with: TLS 1.2 at least, HTTP/2 offered ("h2" in
// NextProtos), and the certificate either read from files (and read again
// when they change on disk) or obtained and renewed with ACME.
//
// ACME uses golang.org/x/crypto/acme/autocert, kept by the Go team, rather
// than github.com/caddyserver/certmagic: autocert does all hookgate needs
// (HostPolicy limited to the configured domains, a DirCache for the
// account and certificates, tls-alpn-01 on the main listener, http-01 on an
// optional plain listener, renewal before expiry, any directory URL and
// HTTP client so a private CA can be trusted), in a module hookgate already
// depends on. certmagic adds dns-01, distributed storage and OCSP stapling
// at the cost of a dozen more modules; none is needed for a list of names
// served by one process.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hookgate/hookgate/internal/config"
)

// Options are New's dependencies.
type Options struct {
	// Logger receives certificate reloads, and why a new certificate could
	// not be used. Default slog.Default().
	Logger *slog.Logger
	// CheckEvery is the most often the certificate files are looked at
	// (their modification time and size), on a handshake. Default 5s.
	CheckEvery time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// TLS is what hookgate's listeners need to serve HTTPS.
type TLS struct {
	// Config serves the main listener and the api listener. It must not
	// be modified; clone it to change it.
	Config *tls.Config

	acme *acmeCerts // nil with certificate files
}

// New builds the TLS config that c describes. c must be valid
// (config.Validate); New reads the certificate files or prepares ACME, and
// fails if that does not work.
func New(c *config.TLS, o Options) (*TLS, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CheckEvery <= 0 {
		o.CheckEvery = 5 * time.Second
	}
	t := &TLS{Config: &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
	}}
	if c.ACME != nil {
		a, err := newACME(c.ACME, o.Logger)
		if err != nil {
			return nil, err
		}
		t.acme = a
		t.Config.GetCertificate = a.getCertificate
		t.Config.NextProtos = append(t.Config.NextProtos, a.alpnProto())
	} else {
		f, err := newCertFiles(c.CertFile, c.KeyFile, o)
		if err != nil {
			return nil, err
		}
		t.Config.GetCertificate = f.getCertificate
	}
	if c.ClientCAFile != "" {
		certs, err := config.ReadCerts(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("client_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		for _, cert := range certs {
			pool.AddCert(cert)
		}
		t.Config.ClientCAs = pool
		t.Config.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return t, nil
}

// HTTPHandler is the handler for acme.http_listen: it answers http-01
// challenges, and redirects GET and HEAD requests to the same URL over
// https on httpsPort (the main listener's port, left out of the URL when
// it is 443); other methods get 400, so that a sender that was given an
// http:// URL fails loudly rather than have its POST turned into a GET.
// It returns nil when ACME is not used.
func (t *TLS) HTTPHandler(httpsPort string) http.Handler {
	if t.acme == nil {
		return nil
	}
	return t.acme.httpHandler(redirect(httpsPort))
}

// Prefetch gets the certificate of every acme.domains name, from the cache
// or from the CA, so that no client waits for issuance: a handshake that
// has to wait can outlast the server timeouts, and fail. Call it once the
// main listener is open (tls-alpn-01 needs it) and http_listen too. It
// returns when every name is done, which may take up to autocert's limit
// of 5 minutes; it cannot be interrupted. With certificate files it
// returns at once.
func (t *TLS) Prefetch() {
	if t.acme != nil {
		t.acme.prefetch()
	}
}

// redirect sends GET and HEAD requests to https on port.
func redirect(port string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "use https", http.StatusBadRequest)
			return
		}
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		if port != "" && port != "443" {
			host = net.JoinHostPort(host, port)
		} else if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusMovedPermanently)
	})
}
