package deliver

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hookgate/hookgate/internal/redact"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
)

const (
	// maxHeaders bounds the headers kept of one request or answer, names
	// and values, in bytes; the rest is dropped.
	maxHeaders = 8 << 10
	// maxHeaderValue bounds one header value kept.
	maxHeaderValue = 1 << 10
	// redacted replaces what must not be stored.
	redacted = redact.Mask
)

// record fills in what the attempt sent and got back, from res: credentials
// and signatures redacted, headers bounded. The attempt record is read by
// operators and kept for long; it never holds a secret.
func record(a *event.Attempt, res destination.Result) {
	a.Request = event.Request{
		Method: res.Request.Method,
		URL:    redactURL(res.Request.URL),
		Header: redactHeader(res.Request.Header),
	}
	a.ResponseHeader = redactHeader(res.Header)
}

// secretName reports whether a header or query parameter named name may
// carry a credential or a signature: the same rule the management API and
// the web UI redact by.
func secretName(name string) bool { return redact.Secret(name) }

// redactHeader returns a copy of h with the values of secret-looking
// headers replaced, long values cut and the whole bounded; nil for none.
func redactHeader(h http.Header) http.Header {
	if len(h) == 0 {
		return nil
	}
	out := make(http.Header, len(h))
	size := 0
	for _, k := range slices.Sorted(maps.Keys(h)) {
		vs := make([]string, len(h[k]))
		for i, v := range h[k] {
			switch {
			case secretName(k):
				v = redacted
			case len(v) > maxHeaderValue:
				v = strings.ToValidUTF8(v[:maxHeaderValue], "") + "…"
			}
			vs[i] = v
			size += len(v)
		}
		if size += len(k); size > maxHeaders {
			break
		}
		out[k] = vs
	}
	return out
}

// redactURL returns raw without user info, and with the values of
// secret-looking query parameters replaced. It returns "" for a URL it
// cannot parse: better nothing than a secret.
func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.User = nil
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			u.RawQuery = ""
		} else if changed := redactQuery(q); changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

func redactQuery(q url.Values) bool {
	changed := false
	for k, vs := range q {
		if secretName(k) {
			for i := range vs {
				vs[i] = redacted
			}
			changed = true
		}
	}
	return changed
}
