package verify

import (
	"crypto"
	"crypto/hmac"
	"net/http"
	"strings"

	_ "crypto/sha512" // sha384
)

// websub is W3C WebSub (formerly PubSubHubbub; YouTube's push
// notifications use it). The hub verifies intent with a GET carrying
// hub.mode, hub.topic and hub.challenge, answered with the challenge; when
// verify_token is set, hub.verify_token (PubSubHubbub 0.3) must match it.
// Content distribution carries X-Hub-Signature: "<method>=<hex HMAC of the
// body>" under the subscription's hub.secret, method one of sha1, sha256,
// sha384, sha512.
type websub struct {
	keys  [][]byte
	token string
}

var _ provider = (*websub)(nil)

const websubHeader = "X-Hub-Signature"

func websubPreset() preset {
	return preset{name: "websub", doc: "https://www.w3.org/TR/websub/#authenticated-content-distribution", about: about{
		scheme:    "HMAC of `{body}` under hub.secret, hex, as `sha1=`, `sha256=`, `sha384=` or `sha512=` in `X-Hub-Signature`; no timestamp",
		handshake: "GET `?hub.mode=subscribe|unsubscribe&hub.challenge=`: 200 text/plain hub.challenge (hub.verify_token must match verify_token when it is set); `hub.mode=denied`: 200",
		headers:   []string{websubHeader}, options: usesVerifyToken,
	}, custom: func(o Options) (provider, error) {
		keys, err := rawKeys(o.Secrets)
		return &websub{keys: keys, token: o.VerifyToken}, err
	}}
}

func websubHash(method string) (crypto.Hash, bool) {
	switch method {
	case "sha1":
		return crypto.SHA1, true
	case "sha256":
		return crypto.SHA256, true
	case "sha384":
		return crypto.SHA384, true
	case "sha512":
		return crypto.SHA512, true
	}
	return 0, false
}

// Verify implements Provider.
func (w *websub) Verify(r *Request) error {
	v, f := single(r.Header, websubHeader, http.CanonicalHeaderKey(websubHeader))
	if f != nil {
		return f
	}
	method, sig, _ := strings.Cut(v, "=")
	h, ok := websubHash(method)
	if !ok {
		return &Failure{Reason: "malformed " + websubHeader + " header"}
	}
	mac := make([]byte, h.Size())
	if !hexEncoding.decode(mac, sig) {
		return &Failure{Reason: "malformed " + websubHeader + " header"}
	}
	for _, key := range w.keys {
		m := hmac.New(h.New, key)
		m.Write(r.Body)
		if hmac.Equal(m.Sum(nil), mac) {
			return nil
		}
	}
	return &Failure{Reason: "signature mismatch"}
}

// Sign implements Signer with sha256.
func (w *websub) Sign(r *Request) error {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	m := hmac.New(crypto.SHA256.New, w.keys[0])
	m.Write(r.Body)
	r.Header.Set(websubHeader, "sha256="+hexEncoding.encode(m.Sum(nil)))
	return nil
}

// Identify implements Provider: WebSub carries no id or type.
func (w *websub) Identify(*Request) Identity { return Identity{} }

// Challenge implements Provider: the hub's verification of intent.
func (w *websub) Challenge(r *Request) (*Response, bool) {
	if r.Method != http.MethodGet {
		return nil, false
	}
	challenge := query(r, "hub.challenge")
	switch mode := query(r, "hub.mode"); {
	case mode == "denied":
		return emptyResponse(http.StatusOK), true
	case mode != "subscribe" && mode != "unsubscribe":
		return textResponse(http.StatusBadRequest, "missing hub.mode"), true
	case w.token != "" && !tokenMatches(query(r, "hub.verify_token"), w.token):
		return textResponse(http.StatusForbidden, "verify token mismatch"), true
	case challenge == "":
		return textResponse(http.StatusBadRequest, "missing hub.challenge"), true
	}
	return textResponse(http.StatusOK, challenge), true
}
