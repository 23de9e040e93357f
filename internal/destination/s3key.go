package destination

import (
	"cmp"
	"errors"
	"fmt"
	"mime"
	"strings"

	"github.com/hookgate/hookgate/internal/event"
)

// DefaultS3Key is the key template of an s3 destination that sets none: one
// object per event, under its source and day, named by the provider's own
// delivery id (so a provider's redelivery overwrites rather than
// duplicates), or by hookgate's event id when the provider has none.
const DefaultS3Key = "{source}/{date}/{id}.json"

// maxKey is the longest object key S3 accepts, in bytes.
const maxKey = 1024

// maxKeyValue bounds one variable's value in a key.
const maxKeyValue = 200

// keyVar returns how variable name is read, or nil when there is no such
// variable. Dates and times are the event's received_at, in UTC.
func keyVar(name string) func(*event.Event, event.Delivery) string {
	utc := func(layout string) func(*event.Event, event.Delivery) string {
		return func(ev *event.Event, _ event.Delivery) string { return ev.ReceivedAt.UTC().Format(layout) }
	}
	switch name {
	case "source":
		return func(ev *event.Event, _ event.Delivery) string { return ev.Source }
	case "type":
		return func(ev *event.Event, _ event.Delivery) string { return ev.Type }
	case "id":
		return func(ev *event.Event, _ event.Delivery) string { return cmp.Or(ev.DeliveryID, ev.ID) }
	case "event_id":
		return func(ev *event.Event, _ event.Delivery) string { return ev.ID }
	case "provider_delivery_id":
		return func(ev *event.Event, _ event.Delivery) string { return ev.DeliveryID }
	case "delivery_id":
		return func(_ *event.Event, d event.Delivery) string { return d.ID }
	case "date":
		return utc("2006-01-02")
	case "year":
		return utc("2006")
	case "month":
		return utc("01")
	case "day":
		return utc("02")
	case "hour":
		return utc("15")
	case "ext":
		return func(ev *event.Event, _ event.Delivery) string { return extension(ev.ContentType()) }
	}
	return nil
}

// KeyVars lists the variables a key template may use.
func KeyVars() []string {
	return []string{"source", "type", "id", "event_id", "provider_delivery_id", "delivery_id", "date", "year", "month", "day", "hour", "ext"}
}

// keyTemplate is a parsed key template: literal text and variables.
type keyTemplate []keyPart

type keyPart struct {
	text string                                    // literal, when get is nil
	get  func(*event.Event, event.Delivery) string // a variable
}

// parseKey reads a template such as "{source}/{date}/{id}.json".
func parseKey(tmpl string) (keyTemplate, error) {
	if tmpl == "" {
		return nil, errors.New("empty key template")
	}
	var t keyTemplate
	for rest := tmpl; rest != ""; {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			t = append(t, keyPart{text: rest})
			break
		}
		if rest[open] == '}' {
			return nil, fmt.Errorf("key template %q: '}' without '{'", tmpl)
		}
		if open > 0 {
			t = append(t, keyPart{text: rest[:open]})
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("key template %q: '{' without '}'", tmpl)
		}
		name := rest[open+1 : open+end]
		get := keyVar(name)
		if get == nil {
			return nil, fmt.Errorf("key template %q: unknown variable {%s} (known: {%s})", tmpl, name, strings.Join(KeyVars(), "}, {"))
		}
		t = append(t, keyPart{get: get})
		rest = rest[open+end+1:]
	}
	return t, nil
}

// render builds the key for one delivery. Values are made safe for a key:
// characters other than letters, digits, '.', '-' and '_' become '_' (so a
// provider's id cannot add path segments), an empty value, "." or ".." is
// "_", and each is cut at 200 bytes.
func (t keyTemplate) render(ev *event.Event, d event.Delivery) (string, error) {
	var b strings.Builder
	for _, p := range t {
		if p.get == nil {
			b.WriteString(p.text)
			continue
		}
		b.WriteString(keySafe(p.get(ev, d)))
	}
	if b.Len() > maxKey {
		return "", fmt.Errorf("object key is %d bytes, longer than S3's %d", b.Len(), maxKey)
	}
	return b.String(), nil
}

func keySafe(v string) string {
	if len(v) > maxKeyValue {
		v = v[:maxKeyValue]
	}
	if v == "" || v == "." || v == ".." {
		return "_"
	}
	b := []byte(v)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// extension names a file extension for a content type: json, xml, txt,
// form, or bin.
func extension(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil:
		return "bin"
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return "json"
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		return "xml"
	case mt == "application/x-www-form-urlencoded":
		return "form"
	case strings.HasPrefix(mt, "text/"):
		return "txt"
	}
	return "bin"
}
