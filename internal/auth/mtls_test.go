package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/config"
)

// testCA is a certificate authority that issues client certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

// issue returns a client certificate for cn and dns names.
func (ca *testCA) issue(t *testing.T, cn string, dns ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     dns,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// mtlsServer serves p over TLS, asking for client certificates signed by
// ca, and answers 204 or the failure's status.
func mtlsServer(t *testing.T, p *Policy, ca *testCA) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var f *Failure
		if err := p.Authenticate(r, nil); errors.As(err, &f) {
			w.WriteHeader(f.Status)
			io.WriteString(w, f.Reason)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	srv.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// call makes one request to srv presenting certs, and returns the status
// and body.
func call(t *testing.T, srv *httptest.Server, certs ...tls.Certificate) (string, error) {
	t.Helper()
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = certs
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	resp, err := c.Post(srv.URL, "text/plain", nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, b), nil
}

func TestMTLS(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "hookgate test CA")
	other := newCA(t, "someone else")
	any := mtlsServer(t, newPolicy(t, &config.Auth{MTLS: &config.MTLS{}}, Options{}), ca)
	named := mtlsServer(t, newPolicy(t, &config.Auth{MTLS: &config.MTLS{Subjects: []string{"sender.example.com", "QUEUE.example.com"}}}, Options{}), ca)
	tests := []struct {
		name  string
		srv   *httptest.Server
		certs []tls.Certificate
		want  string
	}{
		{"no certificate", any, nil, "403 verified client certificate required"},
		{"any verified certificate", any, []tls.Certificate{ca.issue(t, "whoever")}, "204 "},
		{"subject common name", named, []tls.Certificate{ca.issue(t, "sender.example.com")}, "204 "},
		{"DNS name, case-insensitive", named, []tls.Certificate{ca.issue(t, "x", "queue.example.com")}, "204 "},
		{"subject not allowed", named, []tls.Certificate{ca.issue(t, "intruder.example.com", "intruder.example.com")}, "403 client certificate subject not allowed"},
		{"no certificate, named", named, nil, "403 verified client certificate required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := call(t, tt.srv, tt.certs...)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("certificate from another CA fails the handshake", func(t *testing.T) {
		t.Parallel()
		cert := other.issue(t, "sender.example.com")
		tr := any.Client().Transport.(*http.Transport).Clone()
		defer tr.CloseIdleConnections()
		// Sent even though the server names other CAs, as an attacker would.
		tr.TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &cert, nil
		}
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Post(any.URL, "text/plain", nil)
		if err == nil {
			resp.Body.Close()
			t.Errorf("got %s, want a handshake error", resp.Status)
		}
	})
}

func TestMTLSRefusesUnverified(t *testing.T) {
	t.Parallel()
	p := newPolicy(t, &config.Auth{MTLS: &config.MTLS{}}, Options{})
	r := request("192.0.2.1:1")
	checkResult(t, p.Authenticate(r, nil), 403, "client certificate required (not a TLS connection)")
	ca := newCA(t, "ca")
	leaf, err := x509.ParseCertificate(ca.issue(t, "sender").Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	// Received but not verified (tls.RequestClientCert): refused.
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}
	checkResult(t, p.Authenticate(r, nil), 403, "verified client certificate required")
}
