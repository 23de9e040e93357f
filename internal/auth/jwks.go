package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

const (
	// maxJWKSBytes bounds a JWK Set; real ones are a few KiB.
	maxJWKSBytes = 1 << 20
	// jwksFetchTimeout bounds one fetch, whatever the client's timeout.
	jwksFetchTimeout = 10 * time.Second
	// jwksMinGap is the least time between two fetches of one URL, so that
	// tokens naming unknown key ids cannot make hookgate hammer the issuer.
	jwksMinGap = 30 * time.Second
)

// parseJWKS reads a JWK Set. Keys hookgate cannot use (unsupported types,
// symmetric keys) are skipped; keys marked for encryption are never used
// to verify. It fails when no key is left.
func parseJWKS(data []byte) (keyfunc.Keyfunc, error) {
	var set jwkset.JWKSMarshal
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("not a JWK Set: %w", err)
	}
	store := jwkset.NewMemoryStorage()
	n := 0
	for _, m := range set.Keys {
		k, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			continue
		}
		if err := store.KeyWrite(context.Background(), k); err != nil {
			return nil, err
		}
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("no usable public key in the JWK Set (%d keys)", len(set.Keys))
	}
	return keyfunc.New(keyfunc.Options{Storage: store, UseWhitelist: []jwkset.USE{jwkset.UseSig, ""}})
}

// staticKeys is a JWK Set read once, from jwks_file.
type staticKeys struct {
	kf keyfunc.Keyfunc
}

func (s staticKeys) key(ctx context.Context, t *jwt.Token) (any, error) {
	return s.kf.KeyfuncCtx(ctx)(t)
}

// remoteKeys is a JWK Set fetched from a URL and cached. It runs no
// goroutine: a token finds the set to use, fetching it first when
//   - none has been fetched yet,
//   - the set is older than refresh, or
//   - the token names a key id the set does not hold (key rotation),
//
// but never sooner than jwksMinGap after the previous attempt. When a fetch
// fails, the old set stays in use. Fetches are one at a time; while one is
// running, tokens that have a usable set do not wait for it.
type remoteKeys struct {
	url     string
	shown   string // url without a password, for logs
	refresh time.Duration
	client  *http.Client
	now     func() time.Time
	log     *slog.Logger

	fetching sync.Mutex // held while fetching

	mu      sync.Mutex // guards the fields below
	kf      keyfunc.Keyfunc
	fetched time.Time // of kf
	tried   time.Time // the last attempt, failed or not
}

func newRemoteKeys(rawURL string, refresh time.Duration, o Options) *remoteKeys {
	if refresh <= 0 {
		refresh = time.Hour
	}
	shown := "(unparsable URL)"
	if u, err := url.Parse(rawURL); err == nil {
		shown = u.Redacted()
	}
	return &remoteKeys{url: rawURL, shown: shown, refresh: refresh, client: o.Client, now: o.Now, log: o.Logger}
}

func (k *remoteKeys) key(ctx context.Context, t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	kf := k.current(ctx, kid)
	if kf == nil {
		return nil, errKeysUnavailable
	}
	return kf.KeyfuncCtx(ctx)(t)
}

// current returns the set to check a token naming kid with, fetching a new
// one first when it should.
func (k *remoteKeys) current(ctx context.Context, kid string) keyfunc.Keyfunc {
	kf, need := k.state(ctx, kid)
	if !need {
		return kf
	}
	if kf != nil && holds(ctx, kf, kid) {
		// The set in use can check this token: fetch only if nobody else
		// is, rather than wait.
		if !k.fetching.TryLock() {
			return kf
		}
	} else {
		k.fetching.Lock()
	}
	defer k.fetching.Unlock()
	if kf, need = k.state(ctx, kid); !need { // fetched while we waited
		return kf
	}
	return k.fetch(ctx)
}

// state returns the current set and whether a token naming kid should
// fetch a new one.
func (k *remoteKeys) state(ctx context.Context, kid string) (keyfunc.Keyfunc, bool) {
	k.mu.Lock()
	kf, fetched, tried := k.kf, k.fetched, k.tried
	k.mu.Unlock()
	now := k.now()
	if !tried.IsZero() && now.Sub(tried) < jwksMinGap {
		return kf, false
	}
	need := kf == nil || now.Sub(fetched) >= k.refresh || !holds(ctx, kf, kid)
	return kf, need
}

// holds says whether kf has the key a token naming kid needs; a token
// naming none is tried with every key.
func holds(ctx context.Context, kf keyfunc.Keyfunc, kid string) bool {
	if kid == "" {
		return true
	}
	_, err := kf.Storage().KeyRead(ctx, kid)
	return err == nil
}

// fetch fetches the set and returns the one to use: the new one, or the
// old one when the fetch failed.
func (k *remoteKeys) fetch(ctx context.Context) keyfunc.Keyfunc {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jwksFetchTimeout)
	defer cancel()
	start := k.now()
	kf, err := k.get(ctx)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.tried = start
	if err != nil {
		k.log.Warn("fetch JWKS", "url", k.shown, "err", err)
		return k.kf
	}
	k.kf, k.fetched = kf, start
	return kf
}

func (k *remoteKeys) get(ctx context.Context) (keyfunc.Keyfunc, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxJWKSBytes {
		return nil, errors.New("JWK Set larger than 1MiB")
	}
	return parseJWKS(data)
}
