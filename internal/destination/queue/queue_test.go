package queue

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/event"
)

func TestTemplate(t *testing.T) {
	t.Parallel()
	ev := &event.Event{Source: "stripe", Type: "invoice.paid"}
	upper := strings.ToUpper
	for _, tc := range []struct {
		tmpl, want string
	}{
		{"", ""},
		{"orders", "orders"},
		{"{source}", "STRIPE"},
		{"webhooks.{source}.{type}", "webhooks.STRIPE.INVOICE.PAID"},
		{"{type}{type}", "INVOICE.PAIDINVOICE.PAID"},
	} {
		tmpl, err := parseTemplate(tc.tmpl)
		if err != nil {
			t.Fatalf("parseTemplate(%q): %v", tc.tmpl, err)
		}
		if got := tmpl.render(ev, upper); got != tc.want {
			t.Errorf("render(%q) = %q, want %q", tc.tmpl, got, tc.want)
		}
	}
	for tmpl, want := range map[string]string{
		"{src}":      "unknown placeholder {src}",
		"{source":    "unmatched '{'",
		"a}b":        "unmatched '}'",
		"{}":         "unknown placeholder {}",
		"{{source}}": "unknown placeholder {{source}",
	} {
		if _, err := parseTemplate(tmpl); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseTemplate(%q) = %v, want an error containing %q", tmpl, err, want)
		}
	}
}

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"", "webhooks.{source}.{type}", "{", "}", "{type", "a{b}c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tmpl, err := parseTemplate(s)
		if err != nil {
			return
		}
		got := tmpl.render(&event.Event{Source: "S", Type: "T"}, func(v string) string { return v })
		want := strings.NewReplacer("{source}", "S", "{type}", "T").Replace(s)
		if got != want {
			t.Errorf("render(%q) = %q, want %q", s, got, want)
		}
	})
}

func TestClean(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"push":                   "push",
		"a\r\nInjected: x":       "a  Injected: x",
		" padded\x00":            "padded",
		"\xffbad":                "\uFFFDbad",
		"\uFFFE":                 "\uFFFD",
		strings.Repeat("é", 200): strings.Repeat("é", 127), // 255 bytes, cut on a rune
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	ev := testEvent([]byte("{}"))
	d := testDelivery(ev)
	static, err := staticHeaders(map[string]string{"X-Team": "core"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, h := range metadata(static, ev, d) {
		got[h.name] = h.value
	}
	if diff := cmp.Diff(wantHeaders(ev, d), got); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	// No type, no Content-Type: left out rather than empty.
	ev.Type = ""
	ev.Header.Del("Content-Type")
	for _, h := range metadata(nil, ev, d) {
		if h.name == "Hookgate-Event-Type" || h.name == "Content-Type" {
			t.Errorf("metadata has %s = %q for an event without it", h.name, h.value)
		}
	}
}

func TestStaticHeaders(t *testing.T) {
	t.Parallel()
	many := map[string]string{}
	for i := range maxHeaders + 1 {
		many["X-"+strings.Repeat("a", i+1)] = "v"
	}
	for _, tc := range []struct {
		name string
		in   map[string]string
		want string
	}{
		{"bad name", map[string]string{"X Team": "a"}, "not a valid header name"},
		{"reserved", map[string]string{"hookgate-source": "a"}, "set by hookgate"},
		{"reserved encoding", map[string]string{"Hookgate-Body-Encoding": "a"}, "set by hookgate"},
		{"line break", map[string]string{"X-A": "a\nb"}, "CR, LF or NUL"},
		{"long", map[string]string{"X-A": strings.Repeat("a", maxHeaderValue+1)}, "longer than"},
		{"too many", many, "at most 32"},
	} {
		if _, err := staticHeaders(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: staticHeaders = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}
