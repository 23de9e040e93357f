package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

const (
	// sessionCookie holds a signed-in session, for every path under /ui.
	sessionCookie = "hookgate_session"
	// loginCookie holds the nonce the login form's CSRF token is bound to,
	// before anyone has signed in.
	loginCookie = "hookgate_login"
	// loginTTL is how long a login form stays good.
	loginTTL = time.Hour
	// maxCookie bounds the cookie values we try to open.
	maxCookie = 4 << 10
)

// session is who signed in, in the signed session cookie. The cookie holds
// no secret: the token used to sign in is never kept.
type session struct {
	// ID is random; the CSRF token is derived from it, and logout revokes
	// it.
	ID    string `json:"id"`
	Name  string `json:"name"`
	Scope string `json:"scope"`
	// Expires is in Unix seconds.
	Expires int64 `json:"exp"`
}

// admin reports whether s may press buttons.
func (s session) admin() bool { return s.Scope == ScopeAdmin }

// sessions signs and opens session cookies with a key of the process's own,
// and remembers the sessions ended by logout until they would have expired.
// It is safe for concurrent use.
type sessions struct {
	key    []byte
	ttl    time.Duration
	secure bool
	now    func() time.Time

	mu      sync.Mutex
	revoked map[string]time.Time // session id -> expiry
}

func newSessions(key []byte, ttl time.Duration, secure bool, now func() time.Time) *sessions {
	return &sessions{key: key, ttl: ttl, secure: secure, now: now, revoked: map[string]time.Time{}}
}

// mac signs msg for purpose; a value signed for one purpose is never good
// for another.
func (s *sessions) mac(purpose, msg string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// b64 encodes cookies and tokens. Strict: a value whose unused bits differ
// is a different value, not the same one spelt another way.
var b64 = base64.RawURLEncoding.Strict()

// seal returns payload and its signature as a cookie value.
func (s *sessions) seal(purpose string, payload []byte) string {
	p := b64.EncodeToString(payload)
	return p + "." + b64.EncodeToString(s.mac(purpose, p))
}

var errBadCookie = errors.New("bad cookie")

// decode decodes a base64url value that this package wrote. Even the
// strict decoder skips CR and LF, so a value with those inserted would pass
// as the same one: decode refuses any byte outside the alphabet.
func decode(v string) ([]byte, error) {
	for i := range len(v) {
		switch c := v[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return nil, errBadCookie
		}
	}
	return b64.DecodeString(v)
}

// unseal returns the payload of a value made by seal for purpose, or
// errBadCookie if it was not made so. The signature is compared in
// constant time.
func (s *sessions) unseal(purpose, value string) ([]byte, error) {
	if len(value) > maxCookie {
		return nil, errBadCookie
	}
	p, sig, ok := strings.Cut(value, ".")
	if !ok {
		return nil, errBadCookie
	}
	got, err := decode(sig)
	if err != nil || !hmac.Equal(got, s.mac(purpose, p)) {
		return nil, errBadCookie
	}
	payload, err := decode(p)
	if err != nil {
		return nil, errBadCookie
	}
	return payload, nil
}

// start makes a session for name with scope and sets its cookie on w.
func (s *sessions) start(w http.ResponseWriter, r *http.Request, name, scope string) session {
	exp := s.now().Add(s.ttl)
	ss := session{ID: randomID(), Name: name, Scope: scope, Expires: exp.Unix()}
	payload, _ := json.Marshal(ss) // a struct of strings and an int cannot fail
	s.setCookie(w, r, sessionCookie, "/ui", s.seal("session", payload), exp)
	return ss
}

// open returns the session of r's cookie, if it has a good one: signed by
// this process, not expired, not logged out.
func (s *sessions) open(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	return s.parse(c.Value)
}

// parse is open for a cookie's value.
func (s *sessions) parse(value string) (session, bool) {
	payload, err := s.unseal("session", value)
	if err != nil {
		return session{}, false
	}
	var ss session
	if err := json.Unmarshal(payload, &ss); err != nil || ss.ID == "" {
		return session{}, false
	}
	if s.now().Unix() >= ss.Expires || (ss.Scope != ScopeRead && ss.Scope != ScopeAdmin) {
		return session{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, gone := s.revoked[ss.ID]; gone {
		return session{}, false
	}
	return ss, true
}

// end revokes ss (its cookie stops working even if replayed) and clears
// the cookie on w.
func (s *sessions) end(w http.ResponseWriter, r *http.Request, ss session) {
	now := s.now()
	s.mu.Lock()
	for id, exp := range s.revoked {
		if !exp.After(now) {
			delete(s.revoked, id)
		}
	}
	s.revoked[ss.ID] = time.Unix(ss.Expires, 0)
	s.mu.Unlock()
	s.setCookie(w, r, sessionCookie, "/ui", "", time.Time{})
}

// csrf returns the CSRF token of the session with id: a signature of the
// id, so it is bound to the session and needs no storage.
func (s *sessions) csrf(id string) string { return b64.EncodeToString(s.mac("csrf", id)) }

// checkCSRF reports whether token is the CSRF token of the session with id,
// comparing in constant time.
func (s *sessions) checkCSRF(id, token string) bool {
	got, err := decode(token)
	return err == nil && id != "" && hmac.Equal(got, s.mac("csrf", id))
}

// loginForm sets a fresh login cookie on w and returns the CSRF token of
// the login form bound to it.
func (s *sessions) loginForm(w http.ResponseWriter, r *http.Request) string {
	nonce := randomID()
	exp := s.now().Add(loginTTL)
	payload, _ := json.Marshal(session{ID: nonce, Expires: exp.Unix()})
	s.setCookie(w, r, loginCookie, "/ui/login", s.seal("login", payload), exp)
	return b64.EncodeToString(s.mac("login-csrf", nonce))
}

// checkLogin reports whether r carries a login cookie that has not expired
// and the login form's CSRF token bound to it.
func (s *sessions) checkLogin(r *http.Request, token string) bool {
	c, err := r.Cookie(loginCookie)
	if err != nil {
		return false
	}
	payload, err := s.unseal("login", c.Value)
	if err != nil {
		return false
	}
	var l session
	if json.Unmarshal(payload, &l) != nil || l.ID == "" || s.now().Unix() >= l.Expires {
		return false
	}
	got, err := decode(token)
	return err == nil && hmac.Equal(got, s.mac("login-csrf", l.ID))
}

// clearLogin removes the login cookie.
func (s *sessions) clearLogin(w http.ResponseWriter, r *http.Request) {
	s.setCookie(w, r, loginCookie, "/ui/login", "", time.Time{})
}

// setCookie sets (or, with a zero exp, deletes) a cookie: HttpOnly,
// SameSite=Strict, Secure over TLS or when configured.
func (s *sessions) setCookie(w http.ResponseWriter, r *http.Request, name, path, value string, exp time.Time) {
	c := &http.Cookie{
		Name: name, Value: value, Path: path,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure || r.TLS != nil,
	}
	if exp.IsZero() {
		c.MaxAge = -1
	} else {
		c.Expires = exp.UTC()
		c.MaxAge = int(exp.Sub(s.now()).Seconds())
	}
	http.SetCookie(w, c)
}

// randomID returns 128 random bits, URL-safe.
func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b64.EncodeToString(b)
}
