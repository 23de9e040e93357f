package config

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// LetsEncryptDirectory is Let's Encrypt's production ACME directory, the
// default acme.directory_url.
const LetsEncryptDirectory = "https://acme-v02.api.letsencrypt.org/directory"

// TLS makes hookgate's listeners (listen, and api.listen when set) serve
// HTTPS, with HTTP/2 and TLS 1.2 at least. Set cert_file and key_file, or
// acme, not both.
type TLS struct {
	// CertFile is the PEM certificate chain, leaf first. Required with
	// key_file. It is read again when it changes on disk (checked every few
	// seconds), so renewing it needs no restart; a new pair that does not
	// load is logged and the old one kept.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the PEM private key of the certificate. Required with
	// cert_file.
	KeyFile string `yaml:"key_file"`
	// ClientCAFile is a PEM bundle of the CAs that client certificates are
	// verified against, for sources with auth: { mtls: ... }. A client may
	// still connect without a certificate; sources requiring mtls refuse it.
	// Optional: no client certificates are asked for.
	ClientCAFile string `yaml:"client_ca_file"`
	// ACME obtains and renews certificates automatically (see ACME).
	ACME *ACME `yaml:"acme"`
}

// ACME obtains certificates from an ACME certificate authority (Let's
// Encrypt by default) on the first handshake for each domain, and renews
// them before they expire. Challenges are answered with tls-alpn-01 on the
// main listener, which must therefore be reachable on port 443 from the
// internet, and with http-01 on http_listen when it is set.
type ACME struct {
	// Domains are the names certificates are requested for, such as
	// [hooks.example.com]; a handshake for any other name is refused.
	// Wildcards are not possible (they need dns-01). Required.
	Domains []string `yaml:"domains"`
	// Email is the contact address given to the CA, which writes to it
	// about expiring certificates and problems. Optional.
	Email string `yaml:"email"`
	// DirectoryURL is the CA's ACME directory. Default Let's Encrypt's
	// production directory.
	DirectoryURL string `yaml:"directory_url"`
	// CacheDir keeps the account key and the certificates across restarts
	// (created, mode 0700, if missing). Default: a folder "acme" next to the
	// SQLite database, or ./data/acme with postgres.
	CacheDir string `yaml:"cache_dir"`
	// CAFile is a PEM bundle of roots to trust for the ACME server's own
	// HTTPS, besides the system's, for a private ACME server. Optional.
	CAFile string `yaml:"ca_file"`
	// HTTPListen is a plain-HTTP listener, such as ":80", that answers
	// http-01 challenges and redirects everything else to https. Optional.
	HTTPListen string `yaml:"http_listen"`
}

// setTLSDefaults fills the defaults of server.tls.acme.
func (c *Config) setTLSDefaults() {
	t := c.Server.TLS
	if t == nil || t.ACME == nil {
		return
	}
	a := t.ACME
	a.DirectoryURL = cmp.Or(a.DirectoryURL, LetsEncryptDirectory)
	if a.CacheDir == "" {
		a.CacheDir = filepath.Join("data", "acme")
		if c.Storage.Driver == "sqlite" && c.Storage.Path != "" {
			a.CacheDir = filepath.Join(filepath.Dir(c.Storage.Path), "acme")
		}
	}
}

// validateTLS checks server.tls. It reads the files it names, so that a
// missing or unreadable one stops the gateway before it listens.
func (c *Config) validateTLS(p *problems) {
	t := c.Server.TLS
	if t == nil {
		return
	}
	const f = "server.tls"
	files := t.CertFile != "" || t.KeyFile != ""
	switch {
	case files && t.ACME != nil:
		p.add(f+".acme", "set cert_file and key_file, or acme, not both")
	case t.ACME != nil:
		validateACME(p, f+".acme", t.ACME)
	case t.CertFile == "":
		p.add(f+".cert_file", "required with key_file (or set acme)")
	case t.KeyFile == "":
		p.add(f+".key_file", "required with cert_file")
	default:
		validateKeyPair(p, f, t.CertFile, t.KeyFile)
	}
	if t.ClientCAFile != "" {
		validateCAFile(p, f+".client_ca_file", t.ClientCAFile)
	}
}

// validateKeyPair checks that the certificate and key files can be read
// and make a pair.
func validateKeyPair(p *problems, f, certFile, keyFile string) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		p.add(f+".cert_file", "cannot read the certificate: %v", err)
	}
	keyPEM, kerr := os.ReadFile(keyFile)
	if kerr != nil {
		p.add(f+".key_file", "cannot read the key: %v", kerr)
	}
	if err != nil || kerr != nil {
		return
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		p.add(f+".cert_file", "cannot use %s with key %s: %v", certFile, keyFile, err)
	}
}

// validateCAFile checks that file holds at least one PEM certificate and
// nothing unreadable.
func validateCAFile(p *problems, f, file string) {
	if _, err := ReadCerts(file); err != nil {
		p.add(f, "%v", err)
	}
}

// ReadCerts reads a PEM bundle of CA certificates. It fails on a file with
// no certificate, or with a CERTIFICATE block that does not parse.
func ReadCerts(file string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read the CA file: %w", err)
	}
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("invalid certificate in %s: %w", file, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no PEM certificate in %s", file)
	}
	return certs, nil
}

func validateACME(p *problems, f string, a *ACME) {
	if len(a.Domains) == 0 {
		p.add(f+".domains", "required (such as [hooks.example.com])")
	}
	seen := map[string]bool{}
	for i, d := range a.Domains {
		fi := fmt.Sprintf("%s.domains[%d]", f, i)
		if err := CheckDomain(d); err != nil {
			p.add(fi, "%v", err)
		} else if seen[strings.ToLower(d)] {
			p.add(fi, "duplicate domain %q", d)
		}
		seen[strings.ToLower(d)] = true
	}
	if a.Email != "" {
		if m, err := mail.ParseAddress(a.Email); err != nil || m.Address != a.Email {
			p.add(f+".email", "invalid address %q (want a plain address such as ops@example.com)", a.Email)
		}
	}
	if u, err := url.Parse(a.DirectoryURL); err != nil || u.Scheme != "https" || u.Host == "" {
		p.add(f+".directory_url", "must be an absolute https URL")
	}
	if a.CacheDir == "" {
		p.add(f+".cache_dir", "required")
	} else if fi, err := os.Stat(a.CacheDir); err == nil && !fi.IsDir() {
		p.add(f+".cache_dir", "%s is not a folder", a.CacheDir)
	}
	if a.CAFile != "" {
		validateCAFile(p, f+".ca_file", a.CAFile)
	}
	if a.HTTPListen != "" {
		if _, _, err := net.SplitHostPort(a.HTTPListen); err != nil {
			p.add(f+".http_listen", "invalid address %q (want host:port or :port, such as \":80\")", a.HTTPListen)
		}
	}
}

// CheckDomain reports whether name is a domain an ACME CA can issue a
// certificate for with the tls-alpn-01 and http-01 challenges: a fully
// qualified DNS name in ASCII (write internationalised names in their xn--
// form), with no wildcard, port, IP address or trailing dot.
func CheckDomain(name string) error {
	switch {
	case name == "":
		return errors.New("empty domain")
	case strings.Contains(name, "*"):
		return fmt.Errorf("wildcard %q: ACME over tls-alpn-01 and http-01 cannot issue wildcards; list each name", name)
	case net.ParseIP(strings.Trim(name, "[]")) != nil:
		return fmt.Errorf("%q is an IP address; a domain name is required", name)
	case strings.HasSuffix(name, "."):
		return fmt.Errorf("invalid domain %q: remove the trailing dot", name)
	case strings.Contains(name, ":") || strings.Contains(name, "/"):
		return fmt.Errorf("invalid domain %q: write the name alone, with no scheme, port or path", name)
	case len(name) > 253:
		return fmt.Errorf("invalid domain %q: longer than 253 characters", name)
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return fmt.Errorf("invalid domain %q: want a fully qualified name such as hooks.example.com", name)
	}
	for _, l := range labels {
		if err := checkLabel(l); err != nil {
			return fmt.Errorf("invalid domain %q: %v", name, err)
		}
	}
	return nil
}

func checkLabel(l string) error {
	if l == "" {
		return errors.New("empty label")
	}
	if len(l) > 63 {
		return fmt.Errorf("label %q is longer than 63 characters", l)
	}
	if l[0] == '-' || l[len(l)-1] == '-' {
		return fmt.Errorf("label %q starts or ends with '-'", l)
	}
	for _, r := range l {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
		case r > 127:
			return fmt.Errorf("label %q is not ASCII (write its xn-- form)", l)
		default:
			return fmt.Errorf("label %q holds %q (want letters, digits and '-')", l, r)
		}
	}
	return nil
}

// validateTimeouts checks what the server timeouts mean together:
// ReadHeaderTimeout is part of ReadTimeout in net/http, so a longer one
// would never apply.
func validateTimeouts(p *problems, s Server) {
	if s.ReadHeaderTimeout > s.ReadTimeout && s.ReadTimeout > 0 {
		p.add("server.read_header_timeout", "must not exceed server.read_timeout (%s), got %s", s.ReadTimeout, s.ReadHeaderTimeout)
	}
}
