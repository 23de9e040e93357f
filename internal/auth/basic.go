package auth

import (
	"net/http"

	"github.com/hookgate/hookgate/internal/config"
)

const basicChallenge = `Basic realm="hookgate", charset="UTF-8"`

// basic is HTTP Basic authentication (RFC 7617).
type basic struct {
	user, password *secrets
}

func newBasic(c *config.BasicAuth) *basic {
	return &basic{user: newSecrets(c.Username), password: newSecrets(c.Password)}
}

func (b *basic) authenticate(r *http.Request) *Failure {
	v, ok := single(r.Header, "Authorization")
	if !ok {
		return unauthorized(basicChallenge, "missing basic credentials")
	}
	user, password, ok := parseBasic(v)
	if !ok {
		return unauthorized(basicChallenge, "malformed basic credentials")
	}
	// Both are always compared, so a wrong user name takes as long as a
	// wrong password.
	userOK := b.user.match(user)
	passwordOK := b.password.match(password)
	if !userOK || !passwordOK {
		return unauthorized(basicChallenge, "wrong basic credentials")
	}
	return nil
}
