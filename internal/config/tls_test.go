package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// keyPair writes a self-signed certificate and its key into dir as
// name.crt and name.key, and returns their paths.
func keyPair(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestTLSValid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	crt, key := keyPair(t, dir, "server")
	for _, tc := range []struct {
		name, yml string
		want      *TLS
	}{{
		name: "certificate files",
		yml:  "server:\n  tls: { cert_file: " + crt + ", key_file: " + key + ", client_ca_file: " + crt + " }\n",
		want: &TLS{CertFile: crt, KeyFile: key, ClientCAFile: crt},
	}, {
		name: "acme with defaults: cache next to the SQLite database",
		yml:  "storage: { path: /var/lib/hookgate/hookgate.db }\nserver:\n  tls:\n    acme: { domains: [hooks.example.com, Hooks2.Example.COM] }\n",
		want: &TLS{ACME: &ACME{
			Domains: []string{"hooks.example.com", "Hooks2.Example.COM"}, DirectoryURL: LetsEncryptDirectory,
			CacheDir: "/var/lib/hookgate/acme",
		}},
	}, {
		name: "acme with postgres",
		yml:  "storage: { driver: postgres, dsn: postgres://x }\nserver:\n  tls:\n    acme: { domains: [xn--bcher-kva.example] }\n",
		want: &TLS{ACME: &ACME{Domains: []string{"xn--bcher-kva.example"}, DirectoryURL: LetsEncryptDirectory, CacheDir: "data/acme"}},
	}, {
		name: "acme with everything",
		yml: "server:\n  tls:\n    acme:\n      domains: [a.example.org]\n      email: ops@example.org\n" +
			"      directory_url: https://127.0.0.1:14000/dir\n      cache_dir: " + dir + "\n      ca_file: " + crt + "\n      http_listen: \":80\"\n",
		want: &TLS{ACME: &ACME{
			Domains: []string{"a.example.org"}, Email: "ops@example.org", DirectoryURL: "https://127.0.0.1:14000/dir",
			CacheDir: dir, CAFile: crt, HTTPListen: ":80",
		}},
	}} {
		c, err := Parse("x.yaml", []byte(tc.yml), Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, c.Server.TLS); diff != "" {
			t.Errorf("%s: server.tls (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestTLSErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	crt, key := keyPair(t, dir, "a")
	crtB, _ := keyPair(t, dir, "b")
	missing := filepath.Join(dir, "missing.pem")
	notPEM := filepath.Join(dir, "notpem.txt")
	if err := os.WriteFile(notPEM, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, yml string
		want      []string
	}{
		{"empty block", "server:\n  tls: {}\n",
			[]string{"x.yaml:2: server.tls.cert_file: required with key_file (or set acme)"}},
		{"key without cert", "server:\n  tls:\n    key_file: " + key + "\n",
			[]string{"x.yaml:3: server.tls.cert_file: required with key_file (or set acme)"}},
		{"cert without key", "server:\n  tls:\n    cert_file: " + crt + "\n",
			[]string{"x.yaml:3: server.tls.key_file: required with cert_file"}},
		{"missing files", "server:\n  tls:\n    cert_file: " + missing + "\n    key_file: " + missing + "\n",
			[]string{
				"x.yaml:3: server.tls.cert_file: cannot read the certificate: open " + missing + ": no such file or directory",
				"x.yaml:4: server.tls.key_file: cannot read the key: open " + missing + ": no such file or directory",
			}},
		{"mismatched pair", "server:\n  tls:\n    cert_file: " + crtB + "\n    key_file: " + key + "\n",
			[]string{"x.yaml:3: server.tls.cert_file: cannot use " + crtB + " with key " + key + ": tls: private key does not match public key"}},
		{"files and acme", "server:\n  tls:\n    cert_file: " + crt + "\n    key_file: " + key + "\n    acme: { domains: [a.example.com] }\n",
			[]string{"x.yaml:5: server.tls.acme: set cert_file and key_file, or acme, not both"}},
		{"client CA not PEM", "server:\n  tls:\n    cert_file: " + crt + "\n    key_file: " + key + "\n    client_ca_file: " + notPEM + "\n",
			[]string{"x.yaml:5: server.tls.client_ca_file: no PEM certificate in " + notPEM}},
		{"acme without domains", "server:\n  tls:\n    acme: { email: ops@example.com }\n",
			[]string{"x.yaml:3: server.tls.acme.domains: required (such as [hooks.example.com])"}},
		{"bad domains", "server:\n  tls:\n    acme:\n      domains:\n        - \"*.example.com\"\n        - 192.0.2.1\n        - localhost\n" +
			"        - a.example.com.\n        - https://a.example.com\n        - -a.example.com\n        - a_b.example.com\n        - bücher.example\n        - A.example.com\n        - a.example.com\n        - a..example.com\n",
			[]string{
				`x.yaml:5: server.tls.acme.domains[0]: wildcard "*.example.com": ACME over tls-alpn-01 and http-01 cannot issue wildcards; list each name`,
				`x.yaml:6: server.tls.acme.domains[1]: "192.0.2.1" is an IP address; a domain name is required`,
				`x.yaml:7: server.tls.acme.domains[2]: invalid domain "localhost": want a fully qualified name such as hooks.example.com`,
				`x.yaml:8: server.tls.acme.domains[3]: invalid domain "a.example.com.": remove the trailing dot`,
				`x.yaml:9: server.tls.acme.domains[4]: invalid domain "https://a.example.com": write the name alone, with no scheme, port or path`,
				`x.yaml:10: server.tls.acme.domains[5]: invalid domain "-a.example.com": label "-a" starts or ends with '-'`,
				`x.yaml:11: server.tls.acme.domains[6]: invalid domain "a_b.example.com": label "a_b" holds '_' (want letters, digits and '-')`,
				`x.yaml:12: server.tls.acme.domains[7]: invalid domain "bücher.example": label "bücher" is not ASCII (write its xn-- form)`,
				`x.yaml:14: server.tls.acme.domains[9]: duplicate domain "a.example.com"`,
				`x.yaml:15: server.tls.acme.domains[10]: invalid domain "a..example.com": empty label`,
			}},
		{"acme fields", "server:\n  tls:\n    acme:\n      domains: [a.example.com]\n      email: \"Ops <ops@example.com>\"\n" +
			"      directory_url: http://acme.example.com/dir\n      cache_dir: " + crt + "\n      ca_file: " + missing + "\n      http_listen: \"80\"\n",
			[]string{
				`x.yaml:5: server.tls.acme.email: invalid address "Ops <ops@example.com>" (want a plain address such as ops@example.com)`,
				`x.yaml:6: server.tls.acme.directory_url: must be an absolute https URL`,
				`x.yaml:7: server.tls.acme.cache_dir: ` + crt + ` is not a folder`,
				`x.yaml:8: server.tls.acme.ca_file: cannot read the CA file: open ` + missing + `: no such file or directory`,
				`x.yaml:9: server.tls.acme.http_listen: invalid address "80" (want host:port or :port, such as ":80")`,
			}},
		{"header timeout longer than read timeout", "server: { read_header_timeout: 10s, read_timeout: 5s }\n",
			[]string{"x.yaml:1: server.read_header_timeout: must not exceed server.read_timeout (5s), got 10s"}},
	} {
		_, err := Parse("x.yaml", []byte(tc.yml), Options{})
		if err == nil {
			t.Errorf("%s: no error, want %q", tc.name, tc.want)
			continue
		}
		if diff := cmp.Diff(tc.want, strings.Split(err.Error(), "\n")); diff != "" {
			t.Errorf("%s: errors (-want +got):\n%s", tc.name, diff)
		}
	}
}

// FuzzCheckDomain checks that CheckDomain never panics, and that what it
// accepts is a plain dotted ASCII name within DNS limits.
func FuzzCheckDomain(f *testing.F) {
	for _, s := range []string{"hooks.example.com", "*.example.com", "a..b", "xn--bcher-kva.example", "192.0.2.1", "[::1]", "-a.b", "a.b."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if CheckDomain(name) != nil {
			return
		}
		if len(name) > 253 || !strings.Contains(name, ".") {
			t.Errorf("accepted %q", name)
		}
		for _, l := range strings.Split(name, ".") {
			if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
				t.Errorf("accepted %q with label %q", name, l)
			}
			for _, r := range l {
				if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
					t.Errorf("accepted %q with %q", name, r)
				}
			}
		}
	})
}

// The HTTPS example runs with ACME for the domain in HOOKGATE_DOMAIN.
func TestHTTPSExample(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "..", "examples", "https.yaml")
	c, err := Load(path, Options{Getenv: env("HOOKGATE_DOMAIN", "hooks.acme.test"), CheckSource: checkSource})
	if err != nil {
		t.Fatal(err)
	}
	want := &TLS{ACME: &ACME{
		Domains: []string{"hooks.acme.test"}, Email: "ops@example.com", DirectoryURL: LetsEncryptDirectory,
		CacheDir: "data/acme", HTTPListen: ":80",
	}}
	if diff := cmp.Diff(want, c.Server.TLS); diff != "" {
		t.Errorf("server.tls (-want +got):\n%s", diff)
	}
	if c.Listen != ":443" {
		t.Errorf("listen = %q, want :443", c.Listen)
	}
}
