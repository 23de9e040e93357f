package app

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/hookgate/hookgate/internal/config"
)

// reloadable lists the top-level config fields a reload applies; every other
// field takes a restart (listen, storage, server (tls included), delivery,
// log, api, and whatever is added later, until it is made reloadable).
var reloadable = map[string]bool{"Sources": true, "Destinations": true, "Routes": true, "File": true}

// needRestart returns one *config.FieldError per field that differs
// between old and cfg and is not applied by a reload (a struct's fields are
// named one by one: "storage.path", "api.listen", "server.tls"), or nil.
// Values are not shown: they may be secrets.
func needRestart(old, cfg *config.Config) error {
	var errs []error
	a, b := reflect.ValueOf(old).Elem(), reflect.ValueOf(cfg).Elem()
	for i := range a.NumField() {
		f := a.Type().Field(i)
		if reloadable[f.Name] || !f.IsExported() {
			continue
		}
		name := yamlName(f)
		if f.Type.Kind() != reflect.Struct {
			if !equalValues(a.Field(i), b.Field(i)) {
				errs = append(errs, restartError(cfg.File, name))
			}
			continue
		}
		for j := range f.Type.NumField() {
			sf := f.Type.Field(j)
			if sf.IsExported() && !equalValues(a.Field(i).Field(j), b.Field(i).Field(j)) {
				errs = append(errs, restartError(cfg.File, name+"."+yamlName(sf)))
			}
		}
	}
	return errors.Join(errs...)
}

func restartError(file, field string) error {
	return &config.FieldError{File: file, Field: field, Err: errors.New("changed, and that takes a restart: nothing was applied (set it back to reload the rest, or restart hookgate)")}
}

// yamlName is a struct field's key in the file.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" || name == "-" {
		return strings.ToLower(f.Name)
	}
	return name
}

// equalIgnoringLines reports whether a and b, values of one config type,
// are equal but for where they are in the file (their Line fields).
func equalIgnoringLines[T any](a, b T) bool {
	return equalValues(reflect.ValueOf(&a).Elem(), reflect.ValueOf(&b).Elem())
}

// equalValues compares like reflect.DeepEqual, but skips the Line fields
// (`yaml:"-"`) config sets from positions in the file, and takes a nil
// slice or map as equal to an empty one.
func equalValues(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			f := a.Type().Field(i)
			if f.Name == "Line" && f.Tag.Get("yaml") == "-" {
				continue
			}
			if !equalValues(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		if a.Kind() == reflect.Interface && a.Elem().Type() != b.Elem().Type() {
			return false
		}
		return equalValues(a.Elem(), b.Elem())
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalValues(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			v := b.MapIndex(k)
			if !v.IsValid() || !equalValues(a.MapIndex(k), v) {
				return false
			}
		}
		return true
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return a.IsNil() && b.IsNil()
	default:
		return a.Equal(b)
	}
}

// configDiff is what a reload changed, by name (routes by their index,
// "routes[2]": they have no name).
type configDiff struct {
	sources, destinations, routes change
}

type change struct {
	added, removed, changed []string
}

func (c change) empty() bool { return len(c.added)+len(c.removed)+len(c.changed) == 0 }

// diffConfigs compares the sources, destinations and routes of two configs.
func diffConfigs(old, cfg *config.Config) configDiff {
	var d configDiff
	d.sources = diffNamed(old.Sources, cfg.Sources, func(s config.Source) string { return s.Name })
	d.destinations = diffNamed(old.Destinations, cfg.Destinations, func(s config.Destination) string { return s.Name })
	for i := range max(len(old.Routes), len(cfg.Routes)) {
		name := fmt.Sprintf("routes[%d]", i)
		switch {
		case i >= len(old.Routes):
			d.routes.added = append(d.routes.added, name)
		case i >= len(cfg.Routes):
			d.routes.removed = append(d.routes.removed, name)
		case !equalIgnoringLines(old.Routes[i], cfg.Routes[i]):
			d.routes.changed = append(d.routes.changed, name)
		}
	}
	return d
}

func diffNamed[T any](old, cur []T, name func(T) string) change {
	var c change
	was := make(map[string]T, len(old))
	for _, v := range old {
		was[name(v)] = v
	}
	for _, v := range cur {
		n := name(v)
		prev, ok := was[n]
		switch {
		case !ok:
			c.added = append(c.added, n)
		case !equalIgnoringLines(prev, v):
			c.changed = append(c.changed, n)
		}
		delete(was, n)
	}
	for n := range was {
		c.removed = append(c.removed, n)
	}
	slices.Sort(c.removed)
	return c
}

// attrs are the log attributes of d: only what changed, or changes=none.
func (d configDiff) attrs() []any {
	var out []any
	for _, part := range []struct {
		what string
		c    change
	}{{"sources", d.sources}, {"destinations", d.destinations}, {"routes", d.routes}} {
		for _, kind := range []struct {
			name  string
			names []string
		}{{"added", part.c.added}, {"removed", part.c.removed}, {"changed", part.c.changed}} {
			if len(kind.names) > 0 {
				out = append(out, part.what+"_"+kind.name, kind.names)
			}
		}
	}
	if len(out) == 0 {
		out = append(out, "changes", "none")
	}
	return out
}
