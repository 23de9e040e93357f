package verify

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// preset is one provider: its name and how its scheme is made from Options.
type preset struct {
	name  string
	build func(o Options) (scheme, error)
}

// presets lists every provider. A provider that only needs a scheme row is
// one line here plus one small file holding its row. It is a function, not a
// variable, so there is no package state to change.
func presets() []preset {
	return []preset{
		{"github", fixed(github)},
		{"hmac", generic},
		{"standardwebhooks", fixed(standardWebhooks)},
		{"x", fixed(x)},
	}
}

// fixed makes a preset's build from a row that takes no options.
func fixed(row func() scheme) func(Options) (scheme, error) {
	return func(Options) (scheme, error) { return row(), nil }
}

// Names returns the provider names New accepts, sorted.
func Names() []string {
	var names []string
	for _, p := range presets() {
		names = append(names, p.name)
	}
	slices.Sort(names)
	return names
}

// New returns the named provider configured with o. The error names the
// provider and the option at fault, and never holds a secret.
func New(provider string, o Options) (Provider, error) {
	s, err := build(provider, o)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// NewSigner returns a Signer for the named provider, which signs with
// o.Secrets[0]. It accepts the same options as New.
func NewSigner(provider string, o Options) (Signer, error) {
	s, err := build(provider, o)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func build(name string, o Options) (*scheme, error) {
	i := slices.IndexFunc(presets(), func(p preset) bool { return p.name == name })
	if i < 0 {
		return nil, fmt.Errorf("unknown provider %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	s, err := presets()[i].build(o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s.name = name
	if err := s.configure(o); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &s, nil
}

// configure applies the options every scheme shares, tolerance and
// secrets, and fills in what the row implies.
func (s *scheme) configure(o Options) error {
	switch {
	case o.Tolerance < 0:
		return errors.New("tolerance must not be negative")
	case o.Tolerance > 0 && s.timestampHeader == "":
		// Silently ignoring it would suggest replay protection that is not there.
		return fmt.Errorf("tolerance is set, but %s requests carry no signed timestamp", s.name)
	case o.Tolerance > 0:
		s.tolerance = o.Tolerance
	}
	s.canonical.header = http.CanonicalHeaderKey(s.header)
	s.canonical.id = http.CanonicalHeaderKey(s.idHeader)
	s.canonical.timestamp = http.CanonicalHeaderKey(s.timestampHeader)
	if len(o.Secrets) == 0 {
		return errors.New("a secret is required")
	}
	s.keys = make([][]byte, len(o.Secrets))
	for i, secret := range o.Secrets {
		key, err := s.key(secret)
		if err != nil {
			if len(o.Secrets) > 1 {
				return fmt.Errorf("secret %d of %d %w", i+1, len(o.Secrets), err)
			}
			return fmt.Errorf("secret %w", err)
		}
		s.keys[i] = key
	}
	return nil
}

// key turns a configured secret into an HMAC key. Its errors complete the
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
