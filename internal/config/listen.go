package config

import (
	"fmt"
	"strings"
)

// minListenToken is the shortest token a listen destination accepts: it
// guards every event routed to it.
const minListenToken = 16

// ListenDestination sends events to the `hookgate listen` processes
// connected to the gateway at /listen/{name} (type listen), for developing
// a webhook consumer on a laptop: each event goes to one connected
// listener, which forwards it to a local app and reports the answer as the
// attempt. While none is connected, deliveries wait without spending
// attempts. Several listeners on one destination share its events; for
// fan-out (every developer gets every event), configure one listen
// destination per developer and route the source to each.
type ListenDestination struct {
	// Token authenticates listeners (`hookgate listen --token`), usually
	// written as ${LISTEN_TOKEN}. At least 16 characters; unique among
	// listen destinations (a listener may connect without naming its
	// destination: the token picks it). Required.
	Token string `yaml:"token"`
}

// setListenDefaults sets type listen from the listen block, and a listen
// destination's concurrency to 1, so that events reach the local app one at
// a time (with an ordering key, in the order they arrived). Call it before
// the common defaults.
func setListenDefaults(d *Destination) {
	if d.Listen != nil && d.Type == "" && d.URL == "" {
		d.Type = "listen"
	}
	if d.Type == "listen" && d.Concurrency == 0 {
		d.Concurrency = 1
	}
}

// validateListens checks the listen blocks of ds, and that no two listen
// destinations share a token.
func validateListens(p *problems, ds []Destination) {
	tokens := map[string]string{} // token -> field path
	for i := range ds {
		validateListen(p, fmt.Sprintf("destinations[%d]", i), &ds[i], tokens)
	}
}

// validateListen checks the listen block of d; tokens holds the tokens of
// the listen destinations seen so far.
func validateListen(p *problems, f string, d *Destination, tokens map[string]string) {
	switch {
	case d.Type == "listen" && d.Listen == nil:
		p.add(f+".listen", "required for type \"listen\": { token: ${LISTEN_TOKEN} }")
		return
	case d.Type != "listen" && d.Listen != nil:
		p.add(f+".listen", "only used by type \"listen\", not %q", d.Type)
		return
	case d.Listen == nil:
		return
	}
	if d.URL != "" {
		p.add(f+".url", "not used by type \"listen\" (the listener names its local URL with --to)")
	}
	if d.Method != "" || len(d.Headers) > 0 {
		p.add(f+".headers", "method and headers are not used by type \"listen\": the listener forwards the original request")
	}
	tf := f + ".listen.token"
	switch t := d.Listen.Token; {
	case t == "":
		p.add(tf, "required (such as ${LISTEN_TOKEN}; make one with: openssl rand -hex 24)")
	case len(t) < minListenToken:
		p.add(tf, "too short: at least %d characters (make one with: openssl rand -hex 24)", minListenToken)
	case strings.TrimSpace(t) != t:
		p.add(tf, "must not start or end with spaces")
	case tokens[t] != "":
		p.add(tf, "the same as %s: each listen destination needs its own token", tokens[t])
	default:
		tokens[t] = tf
	}
}
