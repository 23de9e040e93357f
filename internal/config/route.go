package config

import (
	"fmt"
	"strings"
)

// validateRouteFields checks what config itself knows of a route's
// expressions: that the ordering block has a key. Compiling them is
// Options.CheckRoute's job.
func validateRouteFields(p *problems, f string, r *Route) {
	if r.Ordering != nil && strings.TrimSpace(r.Ordering.Key) == "" {
		p.add(f+".ordering.key", "required (a CEL expression of type string, such as body.repository.full_name)")
	}
}

// checkRoutes runs check, when not nil, on each route that has no problem
// yet, and records what it finds at the route or at the field it names.
func (c *Config) checkRoutes(p *problems, check func(Route) error) {
	for i := range c.Routes {
		f := fmt.Sprintf("routes[%d]", i)
		validateRouteFields(p, f, &c.Routes[i])
		if check == nil || p.has(f) {
			continue
		}
		for _, err := range split(check(c.Routes[i])) {
			if fe, ok := err.(*FieldError); ok && fe.Field != "" {
				p.addErr(join(f, fe.Field), fe.Err)
			} else {
				p.addErr(f, err)
			}
		}
	}
}

// has reports whether a problem was recorded at field or inside it.
func (p *problems) has(field string) bool {
	for _, err := range p.errs {
		fe, ok := err.(*FieldError)
		if !ok {
			continue
		}
		if fe.Field == field || strings.HasPrefix(fe.Field, field+".") || strings.HasPrefix(fe.Field, field+"[") {
			return true
		}
	}
	return false
}
