package e2e

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/gatewaytest"
)

// tlsCA issues certificates for the HTTPS tests.
type tlsCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTLSCA(t *testing.T) *tlsCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "e2e root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tlsCA{cert: cert, key: key, pool: pool}
}

// writePair writes a certificate for 127.0.0.1 named cn, and its key, to
// certFile and keyFile.
func (ca *tlsCA) writePair(t *testing.T, cn, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	// The key first, then the certificate, each renamed into place, as a
	// renewal tool would.
	for _, f := range []struct {
		path string
		pem  []byte
	}{
		{keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})},
		{certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})},
	} {
		if err := os.WriteFile(f.path+".new", f.pem, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(f.path+".new", f.path); err != nil {
			t.Fatal(err)
		}
	}
}

// httpsClient trusts roots, prefers HTTP/2, dials addr whatever the URL's
// host, and does not follow redirects.
func httpsClient(roots *x509.CertPool, addr string) *http.Client {
	return &http.Client{
		Timeout: 90 * time.Second, // the first ACME handshake waits for issuance
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: roots},
			ForceAttemptHTTP2: true,
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := listenLocal()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// listeningLine returns the gateway's {"msg":"listening"} log record.
func listeningLine(t *testing.T, g *gateway) map[string]any {
	t.Helper()
	for _, line := range strings.Split(g.stderr.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "listening" {
			return rec
		}
	}
	t.Fatalf("no listening line:\n%s", g.stderr)
	return nil
}

const tlsSource = `sources:
  - { name: orders, provider: hmac, secret: "s3cret", hmac: { header: x-hmac, algorithm: sha256, encoding: hex } }
destinations:
  - { name: console, type: log }
routes:
  - { from: [orders], to: [console] }
`

// HTTPS from certificate files: HTTP/2, TLS 1.2 at least, a signed event
// accepted, the management API's own listener on TLS too, the certificate
// replaced on disk served without a restart, and a client that stalls its
// handshake cut off by the server timeouts on both listeners.
func TestTLSCertFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := newTLSCA(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	ca.writePair(t, "first", certFile, keyFile)
	apiAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	g := start(t, writeConfig(t, dir, fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { path: %q }
server:
  read_header_timeout: 1s
  read_timeout: 2s
  tls: { cert_file: %q, key_file: %q }
api:
  listen: %q
  tokens: [{ name: ci, token: "e2e-tls-token-0123456789", scope: read }]
`, filepath.Join(dir, "hookgate.db"), certFile, keyFile, apiAddr)+tlsSource))
	if got := listeningLine(t, g)["scheme"]; got != "https" {
		t.Errorf("listening line says scheme %v, want https", got)
	}
	client := httpsClient(ca.pool, g.addr)
	base := "https://" + g.addr

	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Proto != "HTTP/2.0" {
		t.Errorf("GET /healthz: %d over %s, want 200 over HTTP/2.0", resp.StatusCode, resp.Proto)
	}
	if cn := resp.TLS.PeerCertificates[0].Subject.CommonName; cn != "first" {
		t.Errorf("served certificate %q, want first", cn)
	}
	body := []byte(`{"order":1}`)
	req := signed(t, "hmac", "s3cret", base+"/in/orders", body, nil)
	if resp, err = client.Do(req); err != nil {
		t.Fatal(err)
	}
	if id, ok := decodeAccepted(resp); !ok {
		t.Errorf("signed event over HTTP/2: not accepted (status %d)", resp.StatusCode)
	} else {
		waitFor(t, 10*time.Second, "the event on the console", func() bool { return strings.Contains(g.stdout.String(), id) })
	}

	t.Run("api.listen serves HTTPS", func(t *testing.T) {
		waitFor(t, 10*time.Second, "api.listen", func() bool {
			c, err := net.Dial("tcp", apiAddr)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		req, _ := http.NewRequest(http.MethodGet, "https://"+apiAddr+"/api/v1/sources", nil)
		req.Header.Set("Authorization", "Bearer e2e-tls-token-0123456789")
		resp, err := httpsClient(ca.pool, apiAddr).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Proto != "HTTP/2.0" {
			t.Errorf("GET /api/v1/sources on api.listen: %d over %s, want 200 over HTTP/2.0", resp.StatusCode, resp.Proto)
		}
	})

	t.Run("TLS 1.1 refused", func(t *testing.T) {
		c, err := tls.Dial("tcp", g.addr, &tls.Config{RootCAs: ca.pool, MaxVersion: tls.VersionTLS11})
		if err == nil {
			c.Close()
			t.Fatal("TLS 1.1 handshake succeeded")
		}
	})

	t.Run("stalled handshake closed", func(t *testing.T) {
		for _, addr := range []string{g.addr, apiAddr} {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			took, _, err := closedAfter(c, time.Now(), 10*time.Second)
			if err != nil || took > 5*time.Second {
				t.Errorf("silent connection to %s: closed after %v (%v), want within the 1-2s timeouts", addr, took, err)
			}
		}
	})

	t.Run("certificate replaced on disk", func(t *testing.T) {
		ca.writePair(t, "second", certFile, keyFile)
		// Files are looked at every 5s at most, on a handshake.
		waitFor(t, 20*time.Second, "the new certificate", func() bool {
			c, err := tls.Dial("tcp", g.addr, &tls.Config{RootCAs: ca.pool})
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			defer c.Close()
			return c.ConnectionState().PeerCertificates[0].Subject.CommonName == "second"
		})
		waitFor(t, 5*time.Second, "the reload logged", func() bool {
			return strings.Contains(g.stderr.String(), `"msg":"tls certificate reloaded"`)
		})
	})
}

var (
	pebbleOnce sync.Once
	pebbleBin  string
	pebbleSkip string // why the pebble module is unavailable
	pebbleErr  error
)

// pebbleBinary builds scripts/pebble-test-server once. Without its module
// (no module proxy nor cache) the test is skipped, except under CI=true;
// any other build failure fails it.
func pebbleBinary(t *testing.T) string {
	t.Helper()
	pebbleOnce.Do(func() {
		src := filepath.Join("..", "scripts", "pebble-test-server")
		if out, err := exec.Command("go", "-C", src, "mod", "download").CombinedOutput(); err != nil {
			pebbleSkip = fmt.Sprintf("pebble's module is unavailable: %v\n%s", err, out)
			return
		}
		dir, err := os.MkdirTemp("", "hookgate-e2e-pebble")
		if err != nil {
			pebbleErr = err
			return
		}
		bin := filepath.Join(dir, "pebble-test-server")
		if out, err := exec.Command("go", "-C", src, "build", "-o", bin, ".").CombinedOutput(); err != nil {
			pebbleErr = fmt.Errorf("build scripts/pebble-test-server: %v\n%s", err, out)
			return
		}
		pebbleBin = bin
	})
	switch {
	case pebbleSkip != "" && os.Getenv("CI") == "true":
		t.Fatal(pebbleSkip)
	case pebbleSkip != "":
		t.Skip(pebbleSkip)
	case pebbleErr != nil:
		t.Fatal(pebbleErr)
	}
	return pebbleBin
}

// pebble is a running pebble-test-server.
type pebble struct {
	directory  string         // ACME directory URL
	httpsRoot  string         // file: the root of pebble's own HTTPS certificate
	issuer     *x509.CertPool // the root of the certificates pebble issues
	issuerName string
}

// startPebble runs pebble, validating tls-alpn-01 on tlsPort and http-01
// on httpPort of 127.0.0.1 (where its DNS sends every name).
func startPebble(t *testing.T, tlsPort, httpPort int) *pebble {
	t.Helper()
	dir := t.TempDir()
	p := &pebble{httpsRoot: filepath.Join(dir, "https-root.pem")}
	issuerFile := filepath.Join(dir, "issuer-root.pem")
	cmd := exec.Command(pebbleBinary(t), "-tls-port", strconv.Itoa(tlsPort), "-http-port", strconv.Itoa(httpPort),
		"-https-root", p.httpsRoot, "-issuer-root", issuerFile)
	stderr := &gatewaytest.Buffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("pebble's log:\n%s", stderr)
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			ready <- sc.Text()
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case line := <-ready:
		var r struct{ Directory string }
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Directory == "" {
			t.Fatalf("pebble said %q", line)
		}
		p.directory = r.Directory
	case <-time.After(30 * time.Second):
		t.Fatalf("pebble not ready within 30s:\n%s", stderr)
	}
	data, err := os.ReadFile(issuerFile)
	if err != nil {
		t.Fatal(err)
	}
	p.issuer = x509.NewCertPool()
	if !p.issuer.AppendCertsFromPEM(data) {
		t.Fatalf("no certificate in %s", issuerFile)
	}
	b, _ := pem.Decode(data)
	root, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	p.issuerName = root.Subject.CommonName
	return p
}

// ACME against pebble, with real validation: pebble resolves the domain to
// 127.0.0.1 and connects to the gateway to check the challenge, once on the
// main listener (tls-alpn-01) and once on http_listen (http-01, with
// tls-alpn-01 failing first because pebble is sent to a closed port). The
// gateway obtains the certificate at start; the one it then serves for the
// domain chains to pebble's root, over HTTP/2. http_listen redirects, and
// the server timeouts apply to it.
func TestTLSACME(t *testing.T) {
	t.Parallel()
	const domain = "hooks.hookgate.test"
	for _, tc := range []struct {
		name string
		http bool // http_listen set, and tls-alpn-01 sent to a closed port
	}{
		{name: "tls-alpn-01"},
		{name: "http-01", http: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mainPort, httpPort := freePort(t), freePort(t)
			var pb *pebble
			httpListen := ""
			if tc.http {
				pb = startPebble(t, freePort(t), httpPort)
				httpListen = fmt.Sprintf("\n    http_listen: \"127.0.0.1:%d\"", httpPort)
			} else {
				pb = startPebble(t, mainPort, freePort(t))
			}
			dir := t.TempDir()
			cache := filepath.Join(dir, "acme")
			g := start(t, writeConfig(t, dir, fmt.Sprintf(`listen: "127.0.0.1:%d"
storage: { path: %q }
server:
  read_header_timeout: 1s
  read_timeout: 2s
  tls:
   acme:
    domains: [%s]
    email: ops@hookgate.test
    directory_url: %q
    ca_file: %q
    cache_dir: %q%s
`, mainPort, filepath.Join(dir, "hookgate.db"), domain, pb.directory, pb.httpsRoot, cache, httpListen)+tlsSource))

			// The gateway gets the certificate at start, so that the first
			// client does not wait for issuance: with these 1s timeouts, a
			// handshake that waited would fail.
			waitFor(t, 60*time.Second, "the certificate", func() bool {
				return strings.Contains(g.stderr.String(), `"msg":"acme certificate ready","domain":"`+domain+`"`)
			})
			client := httpsClient(pb.issuer, g.addr)
			resp, err := client.Get(fmt.Sprintf("https://%s:%d/healthz", domain, mainPort))
			if err != nil {
				t.Fatalf("GET /healthz: %v\ngateway log:\n%s", err, g.stderr)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Proto != "HTTP/2.0" {
				t.Errorf("GET /healthz: %d over %s, want 200 over HTTP/2.0", resp.StatusCode, resp.Proto)
			}
			chain := resp.TLS.VerifiedChains[0]
			if leaf := chain[0]; leaf.DNSNames[0] != domain || !strings.HasPrefix(leaf.Issuer.CommonName, "Pebble Intermediate CA") {
				t.Errorf("served certificate for %v issued by %q, want %s by pebble", leaf.DNSNames, leaf.Issuer.CommonName, domain)
			}
			if root := chain[len(chain)-1]; root.Subject.CommonName != pb.issuerName {
				t.Errorf("chain ends at %q, want pebble's root %q", root.Subject.CommonName, pb.issuerName)
			}
			if _, err := os.Stat(filepath.Join(cache, domain)); err != nil {
				t.Errorf("certificate not cached: %v", err)
			}
			if !tc.http {
				return
			}
			// http_listen redirects to https on the main port.
			resp, err = (&http.Client{CheckRedirect: client.CheckRedirect, Timeout: 10 * time.Second}).Get(
				fmt.Sprintf("http://127.0.0.1:%d/healthz?x=1", httpPort))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			want := fmt.Sprintf("https://127.0.0.1:%d/healthz?x=1", mainPort)
			if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
				t.Errorf("http_listen: %d to %q, want 301 to %q", resp.StatusCode, resp.Header.Get("Location"), want)
			}
			// The server timeouts apply to http_listen too.
			c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", httpPort))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n"); err != nil {
				t.Fatal(err)
			}
			if took, _, err := closedAfter(c, time.Now(), 10*time.Second); err != nil || took > 5*time.Second {
				t.Errorf("http_listen: unfinished headers closed after %v (%v), want within the 1-2s timeouts", took, err)
			}
		})
	}
}
