package queue

import (
	"fmt"
	"strings"

	"github.com/hookgate/hookgate/internal/event"
)

// A template is a routing key or subject in which {source} and {type} stand
// for the event's source and type, such as "webhooks.{source}.{type}".
// Other text is literal; a brace that is not part of a placeholder is an
// error, so a typo such as {soruce} is found when the config is checked.
type template struct {
	parts []part
}

type part struct {
	text  string
	field string // "source", "type", or "" for text
}

// parseTemplate reads s.
func parseTemplate(s string) (*template, error) {
	t := &template{}
	for s != "" {
		i := strings.IndexAny(s, "{}")
		if i < 0 {
			t.parts = append(t.parts, part{text: s})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{text: s[:i]})
		}
		if s[i] == '}' {
			return nil, fmt.Errorf("unmatched '}' (placeholders are {source} and {type})")
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("unmatched '{' (placeholders are {source} and {type})")
		}
		name := s[i+1 : i+end]
		if name != "source" && name != "type" {
			return nil, fmt.Errorf("unknown placeholder {%s} (want {source} or {type})", name)
		}
		t.parts = append(t.parts, part{field: name})
		s = s[i+end+1:]
	}
	return t, nil
}

// render fills in ev's values, each passed through esc first.
func (t *template) render(ev *event.Event, esc func(string) string) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch p.field {
		case "source":
			b.WriteString(esc(ev.Source))
		case "type":
			b.WriteString(esc(ev.Type))
		default:
			b.WriteString(p.text)
		}
	}
	return b.String()
}
