package verify

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// configure applies the options to a copy of a row: tolerance, public URL,
// verify token and secrets, and fills in what the row implies. The options
// the row does not use were already refused.
func (s *scheme) configure(o Options) error {
	if err := s.prepare(o); err != nil {
		return err
	}
	keys, err := s.keysOf(o.Secrets)
	if err != nil {
		return err
	}
	s.keys = keys
	return nil
}

// prepare is configure without the secrets, for the providers that may run
// without one until a handshake issues it (Asana, Notion).
func (s *scheme) prepare(o Options) error {
	parts, err := parseTemplate(s.signs)
	if err != nil {
		return err
	}
	s.parts = parts
	if o.Tolerance > 0 {
		s.tolerance = o.Tolerance
	}
	s.canonical.headers = []string{http.CanonicalHeaderKey(s.header)}
	for _, h := range s.altHeaders {
		s.canonical.headers = append(s.canonical.headers, http.CanonicalHeaderKey(h))
	}
	s.canonical.id = http.CanonicalHeaderKey(s.idHeader)
	s.canonical.timestamp = http.CanonicalHeaderKey(s.timestampHeader)
	s.publicURL = o.PublicURL
	if s.verifyToken {
		if o.VerifyToken == "" {
			return fmt.Errorf("verify_token is required (the token %s echoes in its subscription handshake)", s.name)
		}
		s.token = o.VerifyToken
	}
	return nil
}

// keysOf turns configured secrets into keys, at least one.
func (s *scheme) keysOf(secrets []string) ([][]byte, error) {
	if len(secrets) == 0 {
		return nil, errors.New("a secret is required")
	}
	keys := make([][]byte, len(secrets))
	for i, secret := range secrets {
		key, err := s.key(secret)
		if err != nil {
			if len(secrets) > 1 {
				return nil, fmt.Errorf("secret %d of %d %w", i+1, len(secrets), err)
			}
			return nil, fmt.Errorf("secret %w", err)
		}
		keys[i] = key
	}
	return keys, nil
}

// key turns a configured secret into a key. Its errors complete the
// sentence "secret ..." and never quote the secret.
func (s *scheme) key(secret string) ([]byte, error) {
	if secret == "" {
		return nil, errors.New("is empty")
	}
	if s.secret == rawSecret {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, s.secretPrefix))
	switch {
	case err != nil && s.secretPrefix != "":
		return nil, fmt.Errorf("is not base64 (after an optional %q prefix)", s.secretPrefix)
	case err != nil:
		return nil, errors.New("is not base64")
	case len(key) == 0:
		return nil, errors.New("decodes to an empty key")
	}
	return key, nil
}
