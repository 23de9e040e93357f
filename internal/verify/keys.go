package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
)

// Public and private keys of the asymmetric schemes, read from the forms
// providers show them in. Errors complete the sentence "public_key ..." or
// "secret ..." and never quote the key.

// decodeKeyText returns the DER (or raw) bytes of a PEM block, hex or
// base64 text, and whether it was PEM.
func decodeKeyText(text string) ([]byte, bool, error) {
	text = strings.TrimSpace(text)
	if block, _ := pem.Decode([]byte(text)); block != nil {
		return block.Bytes, true, nil
	}
	if b, err := hex.DecodeString(text); err == nil {
		return b, false, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil {
			return b, false, nil
		}
	}
	return nil, false, errors.New("is not PEM, hex or base64")
}

// ed25519Public reads a raw 32-byte key (hex, as Discord shows it, or
// base64, as Telnyx does) or a PEM or DER SubjectPublicKeyInfo.
func ed25519Public(text string) (ed25519.PublicKey, error) {
	b, _, err := decodeKeyText(text)
	if err != nil {
		return nil, err
	}
	if len(b) == ed25519.PublicKeySize {
		return ed25519.PublicKey(b), nil
	}
	if k, err := x509.ParsePKIXPublicKey(b); err == nil {
		if pub, ok := k.(ed25519.PublicKey); ok {
			return pub, nil
		}
	}
	return nil, errors.New("is not an Ed25519 public key (32 bytes in hex or base64, or PEM)")
}

// ed25519Private reads a 32-byte seed or 64-byte key (hex or base64) or a
// PEM or DER PKCS #8 key.
func ed25519Private(text string) (ed25519.PrivateKey, error) {
	b, _, err := decodeKeyText(text)
	if err != nil {
		return nil, err
	}
	switch len(b) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(b), nil
	case ed25519.PrivateKeySize:
		return ed25519.PrivateKey(b), nil
	}
	if k, err := x509.ParsePKCS8PrivateKey(b); err == nil {
		if priv, ok := k.(ed25519.PrivateKey); ok {
			return priv, nil
		}
	}
	return nil, errors.New("is not an Ed25519 private key (a 32-byte seed in hex or base64, or PKCS #8 PEM)")
}

// ecdsaPublic reads a base64 DER or PEM SubjectPublicKeyInfo.
func ecdsaPublic(text string) (*ecdsa.PublicKey, error) {
	b, _, err := decodeKeyText(text)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(b)
	if pub, ok := k.(*ecdsa.PublicKey); err == nil && ok {
		return pub, nil
	}
	return nil, errors.New("is not an ECDSA public key (base64 DER or PEM SubjectPublicKeyInfo)")
}

// ecdsaPrivate reads a PKCS #8 or SEC 1 key, PEM or base64 DER.
func ecdsaPrivate(text string) (*ecdsa.PrivateKey, error) {
	b, _, err := decodeKeyText(text)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS8PrivateKey(b); err == nil {
		if priv, ok := k.(*ecdsa.PrivateKey); ok {
			return priv, nil
		}
	}
	if priv, err := x509.ParseECPrivateKey(b); err == nil {
		return priv, nil
	}
	return nil, errors.New("is not an ECDSA private key (PKCS #8 or SEC 1, PEM or base64 DER)")
}

// privateMatches checks that secrets, when any are set on a verifying
// source, are the private key of pub: a public-key source needs no secret,
// and one that is not the matching key is surely a mistake.
func privateMatches(secrets []string, pub crypto.PublicKey, parse func(string) (crypto.Signer, error)) error {
	for _, s := range secrets {
		priv, err := parse(s)
		if err != nil {
			return errors.New("secret is not used to verify, and " + err.Error() + "; leave it out")
		}
		if p, ok := priv.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !p.Equal(pub) {
			return errors.New("secret is not used to verify, and is not the private key of public_key; leave it out")
		}
	}
	return nil
}
