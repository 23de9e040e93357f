package verify

//go:generate go test -run ^TestProvidersDoc$ -update

import (
	"fmt"
	"strings"
	"time"
)

// Info describes one provider preset, for `hookgate providers` and for
// docs/providers.md, which are both rendered from the registry.
type Info struct {
	// Name is what a source's provider field says.
	Name string
	// Doc is the provider's documentation of its scheme.
	Doc string
	// Scheme says how requests are authenticated (Markdown).
	Scheme string
	// Handshake says which handshake is answered, and how; "" for none.
	Handshake string
	// DeliveryID and EventType say where the Identity is found.
	DeliveryID, EventType string
	// Tolerance is the default window for signed timestamps; 0 when none.
	Tolerance time.Duration
	// BodyCovered is false when the signature does not cover the body.
	BodyCovered bool
	// Config lists the source fields the preset takes, such as "secret"
	// or "public_url", each with a note.
	Config []string
	// Methods lists the methods events may arrive with.
	Methods []string
}

// Presets describes every provider, sorted by name.
func Presets() []Info {
	var out []Info
	for _, p := range presets() {
		a := p.describe()
		out = append(out, Info{
			Name: p.name, Doc: p.doc, Scheme: a.scheme, Handshake: a.handshake,
			DeliveryID: a.deliveryID.String(), EventType: a.eventType.String(),
			Tolerance: a.tolerance, BodyCovered: a.integrity != noIntegrity, Config: a.config(),
			Methods: append([]string{"POST"}, a.methods...),
		})
	}
	return out
}

// config lists the source fields a preset takes.
func (a about) config() []string {
	var out []string
	switch a.secret {
	case secretRequired:
		out = append(out, "`secret` (required; `secrets` for rotation)")
	case secretCaptured:
		out = append(out, "`secret` (optional until the handshake issues it)")
	case secretPrivateKey:
		out = append(out, "`secret` (optional: the private key, for `hookgate send` only)")
	}
	for _, o := range []struct {
		opt  option
		text string
	}{
		{usesHMAC, "`hmac` (required)"},
		{usesPublicKey, "`public_key` (required)"},
		{usesPublicURL, "`public_url` (the URL the provider calls; recommended)"},
		{usesVerifyToken, "`verify_token`"},
		{usesSignatureMethod, "`signature_method` (required)"},
	} {
		if a.options&o.opt != 0 {
			out = append(out, o.text)
		}
	}
	if a.tolerance > 0 {
		out = append(out, "`tolerance` (default "+duration(a.tolerance)+")")
	}
	return out
}

// markdown renders docs/providers.md.
func markdown(infos []Info) []byte {
	var b strings.Builder
	b.WriteString("# Providers\n\n")
	b.WriteString("<!-- Rendered from internal/verify's registry by `go generate ./internal/verify`; do not edit. -->\n\n")
	fmt.Fprintf(&b, "hookgate knows %d providers. A source names one in `provider:`; `hookgate providers` lists them. "+
		"Every scheme compares in constant time, tries each configured secret (rotation), and verifies the raw body bytes. "+
		"Handshakes are answered before verification and are not stored as events; the ones that arrive signed are "+
		"answered only once they verify. Windows marked as hookgate's policy are used where the provider documents none; "+
		"`tolerance` changes any window.\n\n", len(infos))
	b.WriteString("| provider | window | handshake | dedup key | body covered |\n|---|---|---|---|---|\n")
	for _, in := range infos {
		window, handshake, covered := "—", "—", "yes"
		if in.Tolerance > 0 {
			window = duration(in.Tolerance)
		}
		if in.Handshake != "" {
			handshake = "yes"
		}
		if !in.BodyCovered {
			covered = "**no**"
		}
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s | %s |\n", in.Name, in.Name, window, handshake, in.DeliveryID, covered)
	}
	for _, in := range infos {
		fmt.Fprintf(&b, "\n## %s\n\n", in.Name)
		if in.Doc != "" {
			fmt.Fprintf(&b, "Provider docs: <%s>\n\n", in.Doc)
		}
		fmt.Fprintf(&b, "- **Scheme:** %s\n", in.Scheme)
		fmt.Fprintf(&b, "- **Handshake:** %s\n", or(in.Handshake, "none"))
		fmt.Fprintf(&b, "- **Delivery id (dedup):** %s\n", in.DeliveryID)
		fmt.Fprintf(&b, "- **Event type:** %s\n", in.EventType)
		fmt.Fprintf(&b, "- **Config:** %s\n", or(strings.Join(in.Config, ", "), "none"))
		if len(in.Methods) > 1 {
			fmt.Fprintf(&b, "- **Methods:** %s\n", strings.Join(in.Methods, ", "))
		}
	}
	return []byte(b.String())
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
