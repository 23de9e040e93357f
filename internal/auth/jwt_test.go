package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookgate/hookgate/internal/config"
)

var (
	b64   = base64.RawURLEncoding
	quiet = slog.New(slog.DiscardHandler)
)

// jwkRSA and jwkEC are the public JWKs of keys.
func jwkRSA(kid string, k *rsa.PublicKey) map[string]string {
	return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": b64.EncodeToString(k.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
}

func jwkEC(t *testing.T, kid string, k *ecdsa.PublicKey) map[string]string {
	t.Helper()
	pt, err := k.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"kty": "EC", "kid": kid, "crv": "P-256",
		"x": b64.EncodeToString(pt[1:33]), "y": b64.EncodeToString(pt[33:])}
}

func jwks(t *testing.T, keys ...map[string]string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ecKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sign returns a token of claims signed by key with m, naming kid when set.
func sign(t *testing.T, m jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// claims are valid claims at now, changed by kv (a nil value deletes).
func claims(now time.Time, kv ...any) jwt.MapClaims {
	c := jwt.MapClaims{"iss": "https://issuer.example", "aud": "hookgate", "sub": "gw",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

func bearer(tok string) *http.Request {
	return request("192.0.2.1:5000", "Authorization", "Bearer "+tok)
}

func jwtConfig(algs ...string) *config.JWTAuth {
	return &config.JWTAuth{
		Algorithms: algs,
		Issuer:     "https://issuer.example",
		Audience:   "hookgate",
		Leeway:     config.Duration(time.Minute),
	}
}

func TestJWTHS256(t *testing.T) {
	t.Parallel()
	clk := newClock()
	now := clk.now()
	c := jwtConfig("HS256")
	c.Secret, c.Secrets = "first-secret", []string{"second-secret"}
	p := newPolicy(t, &config.Auth{JWT: c}, Options{Now: clk.now})
	hs := func(secret string, cl jwt.MapClaims) string {
		return sign(t, jwt.SigningMethodHS256, []byte(secret), "", cl)
	}
	tests := []struct {
		name   string
		req    *http.Request
		status int
		reason string
	}{
		{"valid", bearer(hs("first-secret", claims(now))), 0, ""},
		{"rotated secret", bearer(hs("second-secret", claims(now))), 0, ""},
		{"wrong secret", bearer(hs("third-secret", claims(now))), 401, "bad token signature"},
		{"expired", bearer(hs("first-secret", claims(now, "exp", now.Add(-2*time.Minute).Unix()))), 401, "token expired"},
		{"expired within leeway", bearer(hs("first-secret", claims(now, "exp", now.Add(-30*time.Second).Unix()))), 0, ""},
		{"not valid yet", bearer(hs("first-secret", claims(now, "nbf", now.Add(2*time.Minute).Unix()))), 401, "token not valid yet"},
		{"nbf within leeway", bearer(hs("first-secret", claims(now, "nbf", now.Add(30*time.Second).Unix()))), 0, ""},
		{"no exp", bearer(hs("first-secret", claims(now, "exp", nil))), 401, "token lacks a required claim"},
		{"wrong issuer", bearer(hs("first-secret", claims(now, "iss", "https://evil.example"))), 401, "wrong token issuer"},
		{"no issuer", bearer(hs("first-secret", claims(now, "iss", nil))), 401, "token lacks a required claim"},
		{"wrong audience", bearer(hs("first-secret", claims(now, "aud", "someone-else"))), 401, "wrong token audience"},
		{"audience among several", bearer(hs("first-secret", claims(now, "aud", []string{"x", "hookgate"}))), 0, ""},
		{"HS384 not allowed", bearer(sign(t, jwt.SigningMethodHS384, []byte("first-secret"), "", claims(now))), 401, "token algorithm not allowed"},
		{"alg none refused", bearer(sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claims(now))), 401, "token algorithm not allowed"},
		{"malformed", bearer("not.a.jwt"), 401, "malformed token"},
		{"missing", request("192.0.2.1:5000"), 401, "missing token"},
		{"basic scheme", request("192.0.2.1:5000", "Authorization", "Basic "+hs("first-secret", claims(now))), 401, "missing token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkResult(t, p.Authenticate(tt.req, nil), tt.status, tt.reason)
		})
	}
}

func TestJWTHeader(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c := jwtConfig("HS256")
	c.Secret, c.Header = "s", "X-Gateway-Token"
	p := newPolicy(t, &config.Auth{JWT: c}, Options{Now: clk.now})
	tok := sign(t, jwt.SigningMethodHS256, []byte("s"), "", claims(clk.now()))
	checkResult(t, p.Authenticate(request("192.0.2.1:1", "X-Gateway-Token", tok), nil), 0, "")
	checkResult(t, p.Authenticate(bearer(tok), nil), 401, "missing token")
}

func TestJWTFile(t *testing.T) {
	t.Parallel()
	clk := newClock()
	now := clk.now()
	rk, ek := rsaKey(t), ecKey(t)
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, jwks(t, jwkRSA("r1", &rk.PublicKey), jwkEC(t, "e1", &ek.PublicKey)), 0o600); err != nil {
		t.Fatal(err)
	}
	c := jwtConfig("RS256", "ES256")
	c.JWKSFile = path
	p := newPolicy(t, &config.Auth{JWT: c}, Options{Now: clk.now})

	// The classic confusion: an HS256 token whose "secret" is the public key.
	der, err := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	tests := []struct {
		name   string
		tok    string
		status int
		reason string
	}{
		{"RS256", sign(t, jwt.SigningMethodRS256, rk, "r1", claims(now)), 0, ""},
		{"ES256", sign(t, jwt.SigningMethodES256, ek, "e1", claims(now)), 0, ""},
		{"ES256 without kid tries every key", sign(t, jwt.SigningMethodES256, ek, "", claims(now)), 0, ""},
		{"RS256 signed by another key", sign(t, jwt.SigningMethodRS256, rsaKey(t), "r1", claims(now)), 401, "bad token signature"},
		{"unknown kid", sign(t, jwt.SigningMethodRS256, rk, "r9", claims(now)), 401, "no key for the token"},
		{"kid of a key for another alg", sign(t, jwt.SigningMethodES256, ek, "r1", claims(now)), 401, "no key for the token"},
		{"HS256 token against RS256 config", sign(t, jwt.SigningMethodHS256, pubPEM, "r1", claims(now)), 401, "token algorithm not allowed"},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "r1", claims(now)), 401, "token algorithm not allowed"},
		{"RS512 not allowed", sign(t, jwt.SigningMethodRS512, rk, "r1", claims(now)), 401, "token algorithm not allowed"},
		{"expired", sign(t, jwt.SigningMethodRS256, rk, "r1", claims(now, "exp", now.Add(-time.Hour).Unix())), 401, "token expired"},
		{"wrong audience", sign(t, jwt.SigningMethodES256, ek, "e1", claims(now, "aud", "x")), 401, "wrong token audience"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkResult(t, p.Authenticate(bearer(tt.tok), nil), tt.status, tt.reason)
		})
	}
}

// jwksServer serves a JWK Set that the test can change, over TLS on
// 127.0.0.1, and counts fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    []byte
	status  int
	fetches int
}

func newJWKSServer(t *testing.T, body []byte) *jwksServer {
	t.Helper()
	s := &jwksServer{body: body, status: http.StatusOK}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.fetches++
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.WriteHeader(s.status)
		w.Write(s.body)
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // untrusting clients are expected
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func (s *jwksServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

func TestJWTRemote(t *testing.T) {
	t.Parallel()
	clk := newClock()
	k1, k2 := rsaKey(t), ecKey(t)
	srv := newJWKSServer(t, jwks(t, jwkRSA("k1", &k1.PublicKey)))
	c := jwtConfig("RS256", "ES256")
	c.JWKSURL, c.JWKSRefresh = srv.URL+"/.well-known/jwks.json", config.Duration(time.Hour)
	p := newPolicy(t, &config.Auth{JWT: c}, Options{Now: clk.now, Client: srv.Client(), Logger: quiet})
	tok1 := func() string { return sign(t, jwt.SigningMethodRS256, k1, "k1", claims(clk.now())) }
	tok2 := func() string { return sign(t, jwt.SigningMethodES256, k2, "k2", claims(clk.now())) }
	step := func(name, tok string, status int, reason string, fetches int) {
		t.Helper()
		err := p.Authenticate(bearer(tok), nil)
		checkResult(t, err, status, reason)
		if got := srv.count(); got != fetches {
			t.Fatalf("%s: got %d fetches, want %d", name, got, fetches)
		}
	}
	if srv.count() != 0 {
		t.Fatal("New fetched the JWKS; want it fetched on the first token")
	}
	step("first token fetches", tok1(), 0, "", 1)
	step("cached", tok1(), 0, "", 1)

	srv.set(http.StatusOK, jwks(t, jwkRSA("k1", &k1.PublicKey), jwkEC(t, "k2", &k2.PublicKey)))
	step("unknown kid right after a fetch waits", tok2(), 401, "no key for the token", 1)
	clk.advance(jwksMinGap)
	step("unknown kid refetches", tok2(), 0, "", 2)
	step("known kid again", tok2(), 0, "", 2)

	clk.advance(time.Hour)
	step("stale set refetched", tok1(), 0, "", 3)

	srv.set(http.StatusInternalServerError, []byte("down"))
	clk.advance(time.Hour)
	step("failed refresh keeps the old set", tok2(), 0, "", 4)
	step("no retry before the gap", tok2(), 0, "", 4)
	clk.advance(jwksMinGap)
	step("retry after the gap", tok1(), 0, "", 5)
}

func TestJWTRemoteUnavailable(t *testing.T) {
	t.Parallel()
	clk := newClock()
	k := rsaKey(t)
	srv := newJWKSServer(t, []byte("oops"))
	srv.set(http.StatusServiceUnavailable, []byte("down"))
	c := jwtConfig("RS256")
	c.JWKSURL, c.JWKSRefresh = srv.URL, config.Duration(time.Hour)
	p := newPolicy(t, &config.Auth{JWT: c}, Options{Now: clk.now, Client: srv.Client(), Logger: quiet})
	tok := sign(t, jwt.SigningMethodRS256, k, "k", claims(clk.now()))
	checkResult(t, p.Authenticate(bearer(tok), nil), 503, "token signing keys unavailable; retry later")

	srv.set(http.StatusOK, jwks(t, jwkRSA("k", &k.PublicKey)))
	checkResult(t, p.Authenticate(bearer(tok), nil), 503, "token signing keys unavailable; retry later")
	clk.advance(jwksMinGap)
	checkResult(t, p.Authenticate(bearer(tok), nil), 0, "")

	// A server whose certificate the client does not trust is no source.
	c.JWKSURL = srv.URL
	p = newPolicy(t, &config.Auth{JWT: c}, Options{Now: clk.now, Client: &http.Client{Timeout: time.Second}, Logger: quiet})
	checkResult(t, p.Authenticate(bearer(tok), nil), 503, "token signing keys unavailable; retry later")
}

func TestJWTConcurrent(t *testing.T) {
	t.Parallel()
	clk := newClock()
	k := ecKey(t)
	srv := newJWKSServer(t, jwks(t, jwkEC(t, "k", &k.PublicKey)))
	c := jwtConfig("ES256")
	c.JWKSURL, c.JWKSRefresh = srv.URL, config.Duration(time.Hour)
	p := newPolicy(t, &config.Auth{JWT: c}, Options{Now: clk.now, Client: srv.Client(), Logger: quiet})
	tok := sign(t, jwt.SigningMethodES256, k, "k", claims(clk.now()))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if err := p.Authenticate(bearer(tok), nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := srv.count(); got != 1 {
		t.Errorf("got %d fetches, want 1", got)
	}
}
