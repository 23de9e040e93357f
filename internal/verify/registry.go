package verify

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// provider is what New builds: a Provider that can also sign.
type provider interface {
	Provider
	Signer
}

// preset is one provider name: a declarative row, or a constructor of code.
type preset struct {
	name string
	// doc is the provider's documentation of its scheme.
	doc string
	// row is the declarative scheme; build makes one from the options
	// instead (the generic hmac scheme).
	row   *scheme
	build func(o Options) (*scheme, error)
	// custom builds a provider that is code.
	custom func(o Options) (provider, error)
	// signer, for public-key schemes, builds a Signer from the private key
	// alone (o.Secrets[0]), when o.PublicKey is not set.
	signer func(o Options) (Signer, error)
	// about describes custom and build presets; rows describe themselves.
	about about
}

// about describes a preset, for docs/providers.md and for the tests that
// every preset must pass.
type about struct {
	// scheme says how requests are authenticated, in one line of Markdown.
	scheme string
	// handshake says which handshake is answered, and how; "" for none.
	handshake string
	// deliveryID and eventType say where the Identity is found.
	deliveryID, eventType field
	// tolerance is the default timestamp window; 0 when nothing timed is
	// signed (Options.Tolerance is then refused).
	tolerance time.Duration
	// integrity says what of the body the signature covers.
	integrity integrity
	// headers name the signature header first, then the other signed
	// headers; empty when the signature is not in a header.
	headers []string
	// options are the options the preset uses besides secrets and
	// tolerance; the others are refused.
	options option
	// methods lists methods other than POST that events may use.
	methods []string
	// secret says what the secret is for this preset.
	secret secretUse
}

// secretUse says what a preset does with Options.Secrets.
type secretUse int

const (
	// secretRequired: the shared secret verifies; at least one is needed.
	secretRequired secretUse = iota
	// secretCaptured: optional until the provider's handshake issues it.
	secretCaptured
	// secretPrivateKey: only signers use it, as the private key.
	secretPrivateKey
	// secretNone: the provider signs nothing.
	secretNone
)

// integrity is what a scheme's signature covers of the body.
type integrity int

const (
	// bodyIntegrity: every byte of the body.
	bodyIntegrity integrity = iota
	// paramIntegrity: the decoded form parameters (Twilio, Vonage SMS), so
	// two encodings of the same parameters are the same request.
	paramIntegrity
	// noIntegrity: nothing of the body (a shared token, Mailgun's signed
	// token, Plivo's URL and nonce); a changed body still verifies.
	noIntegrity
)

// option is a set of Options fields, beyond Secrets and Tolerance.
type option int

const (
	usesPublicURL option = 1 << iota
	usesVerifyToken
	usesPublicKey
	usesSignatureMethod
	usesHMAC
)

// presets lists every provider, sorted by name. Rows live in rows_*.go,
// code in a file per provider. It is a function, not a variable, so there
// is no package state to change.
func presets() []preset {
	var all []preset
	for _, group := range [][]preset{
		codePresets(), tokenPresets(), jwtPresets(), edPresets(), devPresets(), commercePresets(), messagingPresets(), workPresets(),
	} {
		all = append(all, group...)
	}
	slices.SortFunc(all, func(a, b preset) int { return strings.Compare(a.name, b.name) })
	return all
}

// Names returns the provider names New accepts, sorted.
func Names() []string {
	var names []string
	for _, p := range presets() {
		names = append(names, p.name)
	}
	return names
}

// lookup finds the preset called name.
func lookup(name string) (preset, bool) {
	all := presets()
	i := slices.IndexFunc(all, func(p preset) bool { return p.name == name })
	if i < 0 {
		return preset{}, false
	}
	return all[i], true
}

// New returns the named provider configured with o. The error names the
// provider and the option at fault, and never holds a secret.
func New(provider string, o Options) (Provider, error) {
	return build(provider, o)
}

// NewSigner returns a Signer for the named provider, which signs with
// o.Secrets[0] (for the public-key schemes: the private key). It accepts
// the same options as New, except that public-key schemes need the private
// key rather than the public one.
func NewSigner(provider string, o Options) (Signer, error) {
	return buildSigner(provider, o)
}

func build(name string, o Options) (provider, error) {
	p, ok := lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown provider %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	prov, err := p.make(o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return prov, nil
}

// buildSigner is build, but public-key schemes need no public key: they
// sign with the private key given as the secret.
func buildSigner(name string, o Options) (Signer, error) {
	p, ok := lookup(name)
	if ok && p.signer != nil && o.PublicKey == "" {
		if err := p.describe().check(name, o); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		s, err := p.signer(o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return s, nil
	}
	return build(name, o)
}

// make checks the options p does not use, then builds p.
func (p preset) make(o Options) (provider, error) {
	if err := p.describe().check(p.name, o); err != nil {
		return nil, err
	}
	if p.custom != nil {
		return p.custom(o)
	}
	s, err := p.scheme(o)
	if err != nil {
		return nil, err
	}
	s.name = p.name
	if err := s.configure(o); err != nil {
		return nil, err
	}
	return s, nil
}

// scheme returns a copy of p's row, or the row built from o.
func (p preset) scheme(o Options) (*scheme, error) {
	if p.build != nil {
		return p.build(o)
	}
	s := *p.row
	return &s, nil
}

// describe returns what p says about itself.
func (p preset) describe() about {
	if p.row != nil {
		return p.row.about()
	}
	return p.about
}

// check refuses options the preset does not use: silently ignoring them
// would suggest a protection that is not there.
func (a about) check(name string, o Options) error {
	switch {
	case o.Tolerance < 0:
		return errors.New("tolerance must not be negative")
	case o.Tolerance > 0 && a.tolerance == 0:
		return fmt.Errorf("tolerance is set, but %s requests carry no signed timestamp", name)
	}
	unused := []struct {
		set  bool
		opt  option
		what string
	}{
		{o.PublicURL != "", usesPublicURL, "public_url is set, but " + name + " does not sign the URL"},
		{o.VerifyToken != "", usesVerifyToken, "verify_token is set, but " + name + " has no handshake that uses it"},
		{o.PublicKey != "", usesPublicKey, "public_key is set, but " + name + " does not verify with a public key"},
		{o.SignatureMethod != "", usesSignatureMethod, "signature_method is set, but only vonage-sms uses it"},
		{o.HMAC != (HMACOptions{}), usesHMAC, "hmac options are set, but only provider hmac uses them"},
	}
	for _, u := range unused {
		if u.set && a.options&u.opt == 0 {
			return errors.New(u.what)
		}
	}
	_, err := publicURL(o.PublicURL)
	return err
}
