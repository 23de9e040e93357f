package deliver

import (
	"net/url"
	"testing"
)

// FuzzRedactURL: whatever the URL, what is kept has no user info and no
// value of a secret-looking query parameter.
func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{
		"https://u:p@app.example.com/hooks?token=t&v=1",
		"http://[::1]:8080/a?sig=x&sig=y",
		"https://h/p?%zz=1",
		"mailto:someone@example.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out := redactURL(raw)
		if out == "" {
			return
		}
		u, err := url.Parse(out)
		if err != nil {
			t.Fatalf("redactURL(%q) = %q, which does not parse: %v", raw, out, err)
		}
		if u.User != nil {
			t.Fatalf("redactURL(%q) = %q keeps user info", raw, out)
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return // kept as it was: nothing parsed, nothing secret found
		}
		for k, vs := range q {
			for _, v := range vs {
				if secretName(k) && v != redacted {
					t.Fatalf("redactURL(%q) = %q keeps %s=%s", raw, out, k, v)
				}
			}
		}
	})
}
