package verify

import (
	"errors"
	"net/url"
	"strings"
)

// publicURL checks Options.PublicURL: empty, or an absolute http or https
// URL with a host. It is kept as written: providers sign the text they were
// given, so it is never re-encoded.
func publicURL(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
		return "", errors.New("public_url must be an absolute http or https URL without a fragment, such as https://hooks.example.com/in/source")
	}
	return raw, nil
}

// endpoint returns the URL the provider called, without its query: the
// public URL when it is set, else the request's own URL when absolute, else
// https, the Host header and the request's path.
func endpoint(public string, r *Request) (string, *Failure) {
	if public != "" {
		base, _, _ := strings.Cut(public, "?")
		return base, nil
	}
	if r.URL != nil && r.URL.IsAbs() && r.URL.Host != "" {
		return r.URL.Scheme + "://" + r.URL.Host + r.URL.EscapedPath(), nil
	}
	if r.Host == "" {
		return "", &Failure{Reason: "cannot tell the signed URL: set public_url"}
	}
	path := "/"
	if r.URL != nil {
		path = r.URL.EscapedPath()
	}
	return "https://" + r.Host + path, nil
}

// requestURL returns the endpoint followed by the query the request arrived
// with: the URL as the provider called it.
func requestURL(public string, r *Request) (string, *Failure) {
	base, f := endpoint(public, r)
	if f != nil {
		return "", f
	}
	if r.URL != nil && r.URL.RawQuery != "" {
		return base + "?" + r.URL.RawQuery, nil
	}
	return base, nil
}

// decodeEscapes decodes the %XX escapes of the characters in chars, in
// either case, leaving every other escape as it is.
func decodeEscapes(s, chars string) string {
	if chars == "" || !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if c, ok := unhex2(s[i+1], s[i+2]); ok && strings.IndexByte(chars, c) >= 0 {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unhex2(a, b byte) (byte, bool) {
	hi, ok1 := unhex(a)
	lo, ok2 := unhex(b)
	return hi<<4 | lo, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
