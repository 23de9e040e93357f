package tlsconf

import (
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/config"
)

// A certificate replaced on disk is served from the next handshake after
// the check interval; a replacement that does not load leaves the old one
// in place and says why, once.
func TestCertFilesReload(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, "test root")
	dir := t.TempDir()
	clk := &clock{now: time.Now()}
	mod := clk.Now().Add(-time.Hour)
	// put writes a cert and key file (nil leaves one alone), each with a
	// new modification time.
	put := func(cert, key []byte) {
		t.Helper()
		if cert != nil {
			mod = mod.Add(time.Second)
			writeFile(t, dir, "cert.pem", cert, mod)
		}
		if key != nil {
			mod = mod.Add(time.Second)
			writeFile(t, dir, "key.pem", key, mod)
		}
	}
	year := clk.Now().Add(365 * 24 * time.Hour)
	one := ca.issue(t, "one", year, false)
	put(one.certPEM, one.keyPEM)
	logs := &syncBuffer{}
	tl, err := New(&config.TLS{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")},
		Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), CheckEvery: 5 * time.Second, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, tl.Config)
	want := func(cn string) {
		t.Helper()
		if got := served(t, addr, ca.pool); got != cn {
			t.Fatalf("served certificate %q, want %q\nlogs:\n%s", got, cn, logs)
		}
	}
	want("one")

	two := ca.issue(t, "two", year, false)
	put(two.certPEM, two.keyPEM)
	want("one") // not looked at again before CheckEvery
	clk.Add(5 * time.Second)
	want("two")
	if !strings.Contains(logs.String(), "tls certificate reloaded") {
		t.Errorf("reload not logged:\n%s", logs)
	}

	three := ca.issue(t, "three", year, false)
	expired := ca.issue(t, "expired", clk.Now().Add(-time.Minute), false)
	for _, bad := range []struct {
		name      string
		cert, key []byte
		remove    string // file to delete instead
		why       string // in the log
	}{
		{name: "garbage certificate", cert: []byte("not a certificate\n"), key: two.keyPEM, why: "failed to find any PEM data in certificate input"},
		{name: "key of another certificate", cert: three.certPEM, key: one.keyPEM, why: "private key does not match public key"},
		{name: "expired certificate", cert: expired.certPEM, key: expired.keyPEM, why: "expired at"},
		{name: "key file removed", remove: "key.pem", why: "no such file or directory"},
	} {
		before := strings.Count(logs.String(), "not reloaded")
		if bad.remove != "" {
			if err := os.Remove(filepath.Join(dir, bad.remove)); err != nil {
				t.Fatal(err)
			}
		} else {
			put(bad.cert, bad.key)
		}
		clk.Add(5 * time.Second)
		want("two")
		clk.Add(5 * time.Second)
		want("two") // tried again, not logged again
		l := logs.String()
		if n := strings.Count(l, "not reloaded") - before; n != 1 {
			t.Errorf("%s: logged %d times, want once:\n%s", bad.name, n, l)
		}
		if !strings.Contains(l[strings.LastIndex(l, "not reloaded"):], bad.why) {
			t.Errorf("%s: log does not say %q:\n%s", bad.name, bad.why, l)
		}
	}

	// A pair written one file at a time loads once both are in place.
	four := ca.issue(t, "four", year, false)
	put(four.certPEM, nil)
	clk.Add(5 * time.Second)
	want("two")
	put(nil, four.keyPEM)
	clk.Add(5 * time.Second)
	want("four")
}

// New fails on files that do not make a pair: the gateway does not start.
func TestNewBadFiles(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, "test root")
	dir := t.TempDir()
	a := ca.issue(t, "a", time.Now().Add(time.Hour), false)
	b := ca.issue(t, "b", time.Now().Add(time.Hour), false)
	now := time.Now()
	cert := writeFile(t, dir, "cert.pem", a.certPEM, now)
	key := writeFile(t, dir, "key.pem", b.keyPEM, now)
	for _, tc := range []struct {
		name      string
		cert, key string
		want      string
	}{
		{"mismatched", cert, key, "private key does not match public key"},
		{"missing cert", filepath.Join(dir, "none.pem"), key, "no such file"},
		{"missing key", cert, filepath.Join(dir, "none.pem"), "no such file"},
	} {
		_, err := New(&config.TLS{CertFile: tc.cert, KeyFile: tc.key}, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// newFileTLS writes a fresh certificate for localhost and returns its
// TLS and CA.
func newFileTLS(t *testing.T, clientCA string) (*TLS, *testCA) {
	t.Helper()
	ca := newTestCA(t, "test root")
	dir := t.TempDir()
	l := ca.issue(t, "server", time.Now().Add(time.Hour), false)
	now := time.Now()
	tl, err := New(&config.TLS{
		CertFile:     writeFile(t, dir, "cert.pem", l.certPEM, now),
		KeyFile:      writeFile(t, dir, "key.pem", l.keyPEM, now),
		ClientCAFile: clientCA,
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return tl, ca
}

// serveHTTP runs an http.Server with tl on 127.0.0.1, as internal/app
// does, and returns its URL.
func serveHTTP(t *testing.T, tl *TLS, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(tls.NewListener(ln, tl.Config))
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return "https://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// Clients negotiate HTTP/2; TLS below 1.2 is refused.
func TestProtocols(t *testing.T) {
	t.Parallel()
	tl, ca := newFileTLS(t, "")
	proto := make(chan string, 1)
	url := serveHTTP(t, tl, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto <- r.Proto
	}))
	for _, tc := range []struct {
		name     string
		version  uint16
		h2       bool
		want     string // r.Proto, or "" when the handshake must fail
		wantFail string
	}{
		{name: "HTTP/2 over TLS 1.3", version: tls.VersionTLS13, h2: true, want: "HTTP/2.0"},
		{name: "HTTP/2 over TLS 1.2", version: tls.VersionTLS12, h2: true, want: "HTTP/2.0"},
		{name: "HTTP/1.1 when the client offers only it", version: tls.VersionTLS13, want: "HTTP/1.1"},
		{name: "TLS 1.1 refused", version: tls.VersionTLS11, wantFail: "protocol version"},
		{name: "TLS 1.0 refused", version: tls.VersionTLS10, wantFail: "protocol version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &http.Transport{
				TLSClientConfig:   &tls.Config{RootCAs: ca.pool, MinVersion: tc.version, MaxVersion: tc.version},
				ForceAttemptHTTP2: tc.h2,
			}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(url + "/")
			if tc.wantFail != "" {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("request succeeded over version %x, want it refused", tc.version)
				}
				if !strings.Contains(err.Error(), tc.wantFail) {
					t.Errorf("got error %v, want one containing %q", err, tc.wantFail)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := <-proto; got != tc.want {
				t.Errorf("server saw %s, want %s", got, tc.want)
			}
		})
	}
}

// With client_ca_file, a client certificate from that CA is verified (as
// source auth mtls requires), one from another CA is refused, and a
// client without one still connects.
func TestClientCA(t *testing.T) {
	t.Parallel()
	clients := newTestCA(t, "client root")
	caFile := writeFile(t, t.TempDir(), "clients.pem", clients.pem, time.Now())
	tl, ca := newFileTLS(t, caFile)
	url := serveHTTP(t, tl, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.VerifiedChains) > 0 {
			io.WriteString(w, "verified "+r.TLS.VerifiedChains[0][0].Subject.CommonName)
			return
		}
		io.WriteString(w, "anonymous")
	}))
	other := newTestCA(t, "other root")
	for _, tc := range []struct {
		name string
		cert *leaf
		want string // body, or "" when refused
	}{
		{"certificate from client_ca_file", ptr(clients.issue(t, "sender", time.Now().Add(time.Hour), true)), "verified sender"},
		{"no certificate", nil, "anonymous"},
		{"certificate from another CA", ptr(other.issue(t, "intruder", time.Now().Add(time.Hour), true)), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &tls.Config{RootCAs: ca.pool}
			if tc.cert != nil { // sent even if the server names other CAs
				cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
					return &tc.cert.tls, nil
				}
			}
			tr := &http.Transport{TLSClientConfig: cfg}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(url + "/")
			if tc.want == "" {
				if err == nil {
					resp.Body.Close()
					t.Fatal("request succeeded, want the certificate refused")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if string(body) != tc.want {
				t.Errorf("got %q, want %q", body, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func acmeTLS(t *testing.T) *TLS {
	t.Helper()
	tl, err := New(&config.TLS{ACME: &config.ACME{
		Domains:      []string{"Hooks.Example.com"},
		DirectoryURL: "https://127.0.0.1:1/directory", // never reached by these tests
		CacheDir:     t.TempDir(),
	}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// ACME refuses handshakes for names it was not configured for, without
// asking the CA; it offers the tls-alpn-01 protocol besides h2.
func TestACMEHostPolicy(t *testing.T) {
	t.Parallel()
	tl := acmeTLS(t)
	for _, name := range []string{"other.example.com", "example.com", ""} {
		_, err := tl.Config.GetCertificate(&tls.ClientHelloInfo{ServerName: name})
		if name != "" && !errors.Is(err, errHostNotAllowed) {
			t.Errorf("GetCertificate(%q) = %v, want errHostNotAllowed", name, err)
		}
		if name == "" && err == nil {
			t.Errorf("GetCertificate without a server name succeeded")
		}
	}
	if got := strings.Join(tl.Config.NextProtos, ","); got != "h2,http/1.1,acme-tls/1" {
		t.Errorf("NextProtos = %s, want h2,http/1.1,acme-tls/1", got)
	}
	if tl.Config.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x, want TLS 1.2", tl.Config.MinVersion)
	}
}

// http_listen redirects GET and HEAD to https on the main listener's
// port, and refuses other methods.
func TestHTTPHandlerRedirect(t *testing.T) {
	t.Parallel()
	tl := acmeTLS(t)
	for _, tc := range []struct {
		method, host, port string
		status             int
		location           string
	}{
		{"GET", "hooks.example.com", "443", http.StatusMovedPermanently, "https://hooks.example.com/in/github?a=b"},
		{"HEAD", "hooks.example.com:80", "443", http.StatusMovedPermanently, "https://hooks.example.com/in/github?a=b"},
		{"GET", "hooks.example.com:8080", "8443", http.StatusMovedPermanently, "https://hooks.example.com:8443/in/github?a=b"},
		{"GET", "[2001:db8::1]:80", "443", http.StatusMovedPermanently, "https://[2001:db8::1]/in/github?a=b"},
		{"GET", "[2001:db8::1]", "8443", http.StatusMovedPermanently, "https://[2001:db8::1]:8443/in/github?a=b"},
		{"POST", "hooks.example.com", "443", http.StatusBadRequest, ""},
	} {
		r := httptest.NewRequest(tc.method, "http://"+tc.host+"/in/github?a=b", nil)
		r.Host = tc.host
		w := httptest.NewRecorder()
		tl.HTTPHandler(tc.port).ServeHTTP(w, r)
		if w.Code != tc.status || w.Header().Get("Location") != tc.location {
			t.Errorf("%s %s (port %s): got %d %q, want %d %q", tc.method, tc.host, tc.port, w.Code, w.Header().Get("Location"), tc.status, tc.location)
		}
	}
	files, _ := newFileTLS(t, "")
	if files.HTTPHandler("443") != nil {
		t.Errorf("HTTPHandler without ACME is not nil")
	}
}
