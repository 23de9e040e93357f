package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

var (
	// nameRE is what source and destination names may be: a source name is
	// a URL path segment (/in/{name}), so nothing that could traverse paths.
	nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	// tokenRE is an HTTP token (RFC 9110), as header names and methods are.
	tokenRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// Validate checks c and returns every problem found, joined with
// errors.Join, each a *FieldError naming the field and, for a config read
// by Load or Parse, its file and line. Parse calls it, after SetDefaults; a
// config built in code should call SetDefaults first. Validate does not
// check providers: that is Options.CheckSource's job, in Parse.
func (c *Config) Validate() error {
	p := &problems{file: c.File, lines: c.entityLines()}
	c.validate(p, nil)
	return p.err()
}

// entityLines places fields by the Line of the source, destination or route
// they belong to, for configs that were not just parsed.
func (c *Config) entityLines() map[string]int {
	lines := map[string]int{}
	for i, s := range c.Sources {
		lines[fmt.Sprintf("sources[%d]", i)] = s.Line
	}
	for i, d := range c.Destinations {
		lines[fmt.Sprintf("destinations[%d]", i)] = d.Line
	}
	for i, r := range c.Routes {
		lines[fmt.Sprintf("routes[%d]", i)] = r.Line
	}
	return lines
}

// validate records c's problems in p. check, when not nil, is
// Options.CheckSource.
func (c *Config) validate(p *problems, check func(Source) error) {
	c.validateServer(p)
	sources := c.validateSources(p, check)
	dests := c.validateDestinations(p)
	c.validateRoutes(p, sources, dests)
	c.validateAPI(p)
	c.validateRetention(p)
	c.validateObserve(p)
}

func (c *Config) validateServer(p *problems) {
	if c.Listen == "" {
		p.add("listen", "required")
	} else if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		p.add("listen", "invalid address %q (want host:port or :port)", c.Listen)
	}
	st := c.Storage
	switch st.Driver {
	case "sqlite":
		if st.Path == "" {
			p.add("storage.path", "required for driver \"sqlite\"")
		}
		if st.DSN != "" {
			p.add("storage.dsn", "not used by driver \"sqlite\" (did you mean driver: postgres?)")
		}
	case "postgres":
		if st.DSN == "" {
			p.add("storage.dsn", "required for driver \"postgres\"")
		}
		if st.Path != "" {
			p.add("storage.path", "not used by driver \"postgres\"")
		}
	case "":
		p.add("storage.driver", "required (sqlite or postgres)")
	default:
		p.add("storage.driver", "unknown driver %q (want sqlite or postgres)", st.Driver)
	}
	s := c.Server
	positive(p, "server.read_header_timeout", int64(s.ReadHeaderTimeout))
	positive(p, "server.read_timeout", int64(s.ReadTimeout))
	positive(p, "server.write_timeout", int64(s.WriteTimeout))
	positive(p, "server.idle_timeout", int64(s.IdleTimeout))
	positive(p, "server.shutdown_timeout", int64(s.ShutdownTimeout))
	positive(p, "server.max_header_bytes", int64(s.MaxHeaderBytes))
	validateTimeouts(p, s)
	c.validateTLS(p)
	validatePIDFile(p, c.Server.PIDFile)
	positive(p, "delivery.batch", int64(c.Delivery.Batch))
	positive(p, "delivery.lease", int64(c.Delivery.Lease))
	positive(p, "delivery.poll", int64(c.Delivery.Poll))
	oneOf(p, "log.level", c.Log.Level, "debug", "info", "warn", "error")
	oneOf(p, "log.format", c.Log.Format, "json", "text")
}

// validateSources checks sources and returns their names (name -> index).
func (c *Config) validateSources(p *problems, check func(Source) error) map[string]int {
	names := map[string]int{}
	for i := range c.Sources {
		s := &c.Sources[i]
		f := fmt.Sprintf("sources[%d]", i)
		validateName(p, "sources", i, s.Name, names)
		before := len(p.errs)
		if s.Provider == "" && s.Auth == nil {
			p.add(f+".provider", "required")
		}
		validateHMAC(p, f, s)
		validateAuth(p, f, s)
		positive(p, f+".max_body", int64(s.MaxBody))
		if s.Tolerance < 0 {
			p.add(f+".tolerance", "must not be negative")
		}
		if check == nil || len(p.errs) > before {
			continue // the provider would only repeat what is already said
		}
		for _, err := range split(check(*s)) {
			if fe, ok := err.(*FieldError); ok && fe.Field != "" {
				p.addErr(join(f, fe.Field), fe.Err)
			} else {
				p.addErr(f, err)
			}
		}
	}
	return names
}

// validateName checks the name of list[i] (sources or destinations) and
// records it in names (name -> index).
func validateName(p *problems, list string, i int, name string, names map[string]int) {
	f := fmt.Sprintf("%s[%d].name", list, i)
	switch {
	case name == "":
		p.add(f, "required")
	case !nameRE.MatchString(name):
		p.add(f, "invalid name %q: use 1 to 64 letters, digits, '-' or '_'", name)
	default:
		j, dup := names[name]
		if !dup {
			names[name] = i
			return
		}
		first := fmt.Sprintf("%s[%d]", list, j)
		if l := p.line(first); l > 0 {
			first += fmt.Sprintf(", line %d", l)
		}
		p.add(f, "duplicate name %q (also %s)", name, first)
	}
}

func validateHMAC(p *problems, f string, s *Source) {
	switch {
	case s.Provider == "hmac" && s.HMAC == nil:
		p.add(f+".hmac", "required for provider \"hmac\" (at least { header: x-signature })")
		return
	case s.HMAC == nil:
		return
	case s.Provider != "hmac" && s.Provider != "":
		p.add(f+".hmac", "only used by provider \"hmac\", not %q", s.Provider)
		return
	}
	h := s.HMAC
	f += ".hmac"
	if h.Header == "" {
		p.add(f+".header", "required")
	}
	headerName(p, f+".header", h.Header)
	headerName(p, f+".event_type_header", h.EventTypeHeader)
	headerName(p, f+".delivery_id_header", h.DeliveryIDHeader)
	oneOf(p, f+".algorithm", h.Algorithm, "sha1", "sha256", "sha512")
	oneOf(p, f+".encoding", h.Encoding, "hex", "base64")
}

// validateDestinations checks destinations and returns their names
// (name -> index).
func (c *Config) validateDestinations(p *problems) map[string]int {
	names := map[string]int{}
	for i := range c.Destinations {
		d := &c.Destinations[i]
		f := fmt.Sprintf("destinations[%d]", i)
		validateName(p, "destinations", i, d.Name, names)
		switch d.Type {
		case "http":
			validateURL(p, f+".url", d.URL)
			if !tokenRE.MatchString(d.Method) || strings.ToUpper(d.Method) != d.Method {
				p.add(f+".method", "invalid method %q (want an upper-case HTTP method such as POST)", d.Method)
			}
		case "log":
			if d.URL != "" {
				p.add(f+".url", "not used by type \"log\"")
			}
		case "exec", "file", "s3":
			// checked with their blocks, in validateDestinationKind
		case "amqp", "redis", "beanstalkd", "nats", "sqs":
			// checked with their blocks, in validateQueue
		case "listen":
			// checked with its block, in validateListens
		case "":
			p.add(f+".url", "required (or set type: log)")
		default:
			p.add(f+".type", "unknown type %q (want http, log, exec, file, s3, amqp, redis, beanstalkd, nats, sqs or listen)", d.Type)
		}
		validateDestinationKind(p, f, d)
		validateQueue(p, f, d)
		validateFlow(p, f, d)
		for _, k := range slices.Sorted(maps.Keys(d.Headers)) {
			headerName(p, mapField(f+".headers", k), k)
			if strings.ContainsAny(d.Headers[k], "\r\n\x00") {
				p.add(mapField(f+".headers", k), "invalid header value (contains a line break or NUL)")
			}
		}
		positive(p, f+".timeout", int64(d.Timeout))
		positive(p, f+".concurrency", int64(d.Concurrency))
		if lease := c.Delivery.Lease; lease > 0 && d.Timeout >= lease {
			p.add(f+".timeout", "must be shorter than delivery.lease (%s), got %s", lease, d.Timeout)
		}
		r := d.Retry
		positive(p, f+".retry.max_attempts", int64(r.MaxAttempts))
		positive(p, f+".retry.initial", int64(r.Initial))
		positive(p, f+".retry.max", int64(r.Max))
		if r.Initial > r.Max && r.Max > 0 {
			p.add(f+".retry.initial", "must not exceed retry.max (%s), got %s", r.Max, r.Initial)
		}
	}
	validateListens(p, c.Destinations)
	return names
}

func validateURL(p *problems, f, raw string) {
	if raw == "" {
		p.add(f, "required")
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // ue.Error() repeats the URL, which may hold a password
		}
		p.add(f, "invalid URL: %v", err)
		return
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add(f, "must be an absolute http or https URL, got %q", u.Redacted())
	}
}

func (c *Config) validateRoutes(p *problems, sources, dests map[string]int) {
	for i, r := range c.Routes {
		f := fmt.Sprintf("routes[%d]", i)
		names(p, f+".from", "source", r.From, sources)
		names(p, f+".to", "destination", r.To, dests)
	}
}

// names checks a route's list of source or destination names.
func names(p *problems, f, kind string, list []string, known map[string]int) {
	if len(list) == 0 {
		p.add(f, "required")
	}
	seen := map[string]bool{}
	for j, name := range list {
		fj := fmt.Sprintf("%s[%d]", f, j)
		_, ok := known[name]
		switch {
		case !ok:
			p.add(fj, "unknown %s %q", kind, name)
		case seen[name]:
			p.add(fj, "duplicate %s %q", kind, name)
		}
		seen[name] = true
	}
}

func positive(p *problems, f string, v int64) {
	if v <= 0 {
		p.add(f, "must be greater than 0")
	}
}

func oneOf(p *problems, f, v string, valid ...string) {
	if !slices.Contains(valid, v) {
		p.add(f, "invalid value %q (want %s)", v, strings.Join(valid, ", "))
	}
}

// headerName checks an optional header name.
func headerName(p *problems, f, name string) {
	if name != "" && !tokenRE.MatchString(name) {
		p.add(f, "invalid header name %q", name)
	}
}
