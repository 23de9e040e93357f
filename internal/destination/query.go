package destination

import "strings"

// withQuery appends the event's original query string to a destination URL,
// after the destination's own query parameters. GET-style senders (Vonage
// inbound SMS, Twilio status callbacks) put the whole payload in the query,
// so it is forwarded like a body is.
func withQuery(target, query string) string {
	if query == "" {
		return target
	}
	frag := ""
	if i := strings.IndexByte(target, '#'); i >= 0 {
		target, frag = target[:i], target[i:]
	}
	sep := "?"
	switch {
	case strings.HasSuffix(target, "?") || strings.HasSuffix(target, "&"):
		sep = ""
	case strings.Contains(target, "?"):
		sep = "&"
	}
	return target + sep + query + frag
}
