package verify

import (
	"crypto"
	"fmt"
	"strings"
	"time"
)

// about describes a row, as docs/providers.md shows it.
func (s *scheme) about() about {
	parts, err := parseTemplate(s.signs)
	if err != nil {
		panic("verify: " + s.name + ": " + err.Error()) // a broken row; TestPresetsWellFormed names it
	}
	c := *s
	c.parts = parts
	a := about{
		scheme:     c.summary(),
		handshake:  s.handshake,
		deliveryID: s.deliveryID,
		eventType:  s.eventType,
		integrity:  noIntegrity,
		headers:    append([]string{s.header}, s.altHeaders...),
		methods:    s.methods,
	}
	if c.uses(bodyPart) {
		a.integrity = bodyIntegrity
	}
	if c.timestamped() {
		a.tolerance = s.tolerance
	}
	for _, h := range []string{s.idHeader, s.timestampHeader} {
		if h != "" {
			a.headers = append(a.headers, h)
		}
	}
	if c.uses(urlPart) || c.uses(endpointPart) {
		a.options |= usesPublicURL
	}
	if s.verifyToken {
		a.options |= usesVerifyToken
	}
	return a
}

// summary is one line of Markdown saying how the row authenticates.
func (s *scheme) summary() string {
	var b strings.Builder
	signs := "`" + s.signs + "`"
	switch s.mac {
	case hmacMAC:
		fmt.Fprintf(&b, "HMAC-%s of %s", hashName(s.hash), signs)
	case keyThenMessage:
		fmt.Fprintf(&b, "plain %s of secret + %s (not an HMAC)", hashName(s.hash), signs)
	case messageThenKey:
		fmt.Fprintf(&b, "plain %s of %s + secret (not an HMAC)", hashName(s.hash), signs)
	}
	fmt.Fprintf(&b, ", %s", s.encoding)
	if s.prefix != "" {
		fmt.Fprintf(&b, " after `%s`", s.prefix)
	}
	headers := "`" + strings.Join(append([]string{s.header}, s.altHeaders...), "` or `") + "`"
	if s.listSep != "" {
		fmt.Fprintf(&b, ", any of a %s-separated list in %s", sepName(s.listSep), headers)
	} else {
		fmt.Fprintf(&b, ", in %s", headers)
	}
	switch {
	case s.tsField != "":
		fmt.Fprintf(&b, "; timestamp: the list's `%s` entry (%s), within %s", s.tsField, s.timestampFormat, duration(s.tolerance))
	case s.timestampHeader != "":
		fmt.Fprintf(&b, "; timestamp: `%s` (%s), within %s", s.timestampHeader, s.timestampFormat, duration(s.tolerance))
	}
	if s.idHeader != "" {
		fmt.Fprintf(&b, "; id: `%s`", s.idHeader)
	}
	if s.uses(urlPart) || s.uses(endpointPart) {
		b.WriteString("; URL: public_url")
		if s.decodeEscapes != "" {
			fmt.Fprintf(&b, ", with the escapes of `%s` decoded", s.decodeEscapes)
		}
	}
	switch {
	case s.secret == base64Secret && s.secretPrefix != "":
		fmt.Fprintf(&b, "; key: the base64-decoded secret, after an optional `%s`", s.secretPrefix)
	case s.secret == base64Secret:
		b.WriteString("; key: the base64-decoded secret")
	}
	return b.String()
}

// hashName writes SHA-256 as SHA256, as providers do.
func hashName(h crypto.Hash) string { return strings.ReplaceAll(h.String(), "-", "") }

// duration writes d briefly: 5s, 5m, 48h, 1m30s.
func duration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// sepName names a list separator in words, so a space survives rendering.
func sepName(sep string) string {
	switch sep {
	case " ":
		return "space"
	case ",":
		return "comma"
	case ";":
		return "semicolon"
	}
	return "`" + sep + "`"
}
