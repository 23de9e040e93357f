package config

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

const (
	// maxValues bounds how many values one file may hold once aliases are
	// expanded, so that a small file of aliases cannot exhaust memory or
	// time (100,000 values cost about 20MB and 70ms). A config with a
	// thousand sources holds about 10,000.
	maxValues = 100_000
	// maxProblems bounds how many problems one file reports.
	maxProblems = 100
)

// decoder fills Go values from a yaml.Node tree. It does what yaml's own
// decoder does for the types in this package, and also:
//   - rejects unknown and duplicate fields, naming them by path;
//   - expands ${NAME} in every scalar value (never in keys), so errors know
//     the value's line;
//   - rejects numbers that are zero or negative (zero means "the default",
//     so a file that writes 0 gets an error rather than a surprise);
//   - records the line of every field it decodes, so that Validate can place
//     its problems, and carries on after a problem to report them all.
type decoder struct {
	problems
	getenv  func(string) string
	values  int
	stopped bool
}

// fail records a problem at n's line.
func (d *decoder) fail(n *yaml.Node, field string, err error) {
	if d.stopped {
		return
	}
	if len(d.errs) == maxProblems {
		err, d.stopped = errors.New("too many problems; stopping here"), true
	}
	d.errs = append(d.errs, &FieldError{File: d.file, Line: n.Line, Field: field, Err: err})
}

// tick counts one value, and stops the decoder when there are too many.
func (d *decoder) tick(n *yaml.Node) bool {
	if d.values++; d.values > maxValues && !d.stopped {
		d.fail(n, "", fmt.Errorf("too many values (over %d once aliases are expanded)", maxValues))
		d.stopped = true
	}
	return !d.stopped
}

// decode fills v, which must be addressable, from n.
func (d *decoder) decode(n *yaml.Node, field string, v reflect.Value) {
	if !d.tick(n) {
		return
	}
	if field != "" {
		d.lines[field] = n.Line
	}
	n, ok := d.deref(n, field)
	if !ok || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // left out: keep the zero value, which defaults fill in
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
		d.unmarshaler(n, field, u, v)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structure(n, field, v)
	case reflect.Slice:
		d.sequence(n, field, v)
	case reflect.Map:
		d.mapping(n, field, v)
	case reflect.String:
		if s, ok := d.scalar(n, field, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		d.integer(n, field, v)
	case reflect.Bool:
		d.boolean(n, field, v)
	default:
		d.fail(n, field, fmt.Errorf("cannot decode into %s", v.Type()))
	}
}

// deref follows aliases to the node they name.
func (d *decoder) deref(n *yaml.Node, field string) (*yaml.Node, bool) {
	for hops := 0; n.Kind == yaml.AliasNode; hops++ {
		if n.Alias == nil || hops > 100 {
			d.fail(n, field, errors.New("alias names no value"))
			return nil, false
		}
		n = n.Alias
	}
	return n, true
}

// unmarshaler hands n, its value expanded, to a type's own UnmarshalYAML.
func (d *decoder) unmarshaler(n *yaml.Node, field string, u yaml.Unmarshaler, v reflect.Value) {
	if n.Kind == yaml.ScalarNode {
		s, err := expand(n.Value, d.getenv)
		if err != nil {
			d.fail(n, field, err)
			return
		}
		c := *n
		c.Value = s
		n = &c
	}
	if err := u.UnmarshalYAML(n); err != nil {
		d.fail(n, field, err)
		return
	}
	if v.CanInt() && v.Int() <= 0 {
		d.fail(n, field, errors.New("must be greater than 0 (leave it out for the default)"))
	}
}

// scalar returns n's value, expanded.
func (d *decoder) scalar(n *yaml.Node, field, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, field, fmt.Errorf("expected %s, got %s", want, kindName(n)))
		return "", false
	}
	s, err := expand(n.Value, d.getenv)
	if err != nil {
		d.fail(n, field, err)
		return "", false
	}
	return s, true
}

func (d *decoder) integer(n *yaml.Node, field string, v reflect.Value) {
	s, ok := d.scalar(n, field, "an integer")
	if !ok {
		return
	}
	i, err := strconv.ParseInt(strings.TrimSpace(s), 10, v.Type().Bits())
	switch {
	case errors.Is(err, strconv.ErrRange):
		d.fail(n, field, fmt.Errorf("integer %q is too large", s))
	case err != nil:
		d.fail(n, field, fmt.Errorf("invalid integer %q", s))
	case i == 0:
		d.fail(n, field, errors.New("must be greater than 0 (leave it out for the default)"))
	case i < 0:
		d.fail(n, field, fmt.Errorf("must be greater than 0, got %d", i))
	default:
		v.SetInt(i)
	}
}

func (d *decoder) boolean(n *yaml.Node, field string, v reflect.Value) {
	s, ok := d.scalar(n, field, "true or false")
	if !ok {
		return
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		v.SetBool(true)
	case "false":
		v.SetBool(false)
	default:
		d.fail(n, field, fmt.Errorf("expected true or false, got %q", s))
	}
}

func (d *decoder) sequence(n *yaml.Node, field string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, field, fmt.Errorf("expected a list, got %s", kindName(n)))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, fmt.Sprintf("%s[%d]", field, i), s.Index(i))
	}
	v.Set(s)
}

func (d *decoder) structure(n *yaml.Node, field string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, field, fmt.Errorf("expected a mapping, got %s", kindName(n)))
		return
	}
	fields := fieldIndex(v.Type())
	for _, p := range d.pairs(n, field, 0) {
		i, ok := fields[p.key.Value]
		if !ok {
			d.fail(p.key, field, fmt.Errorf("unknown field %q", p.key.Value))
			continue
		}
		d.decode(p.value, join(field, p.key.Value), v.Field(i))
	}
}

func (d *decoder) mapping(n *yaml.Node, field string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, field, fmt.Errorf("expected a mapping, got %s", kindName(n)))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.fail(n, field, fmt.Errorf("cannot decode into %s", v.Type()))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for _, p := range d.pairs(n, field, 0) {
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(p.value, mapField(field, p.key.Value), e)
		m.SetMapIndex(reflect.ValueOf(p.key.Value).Convert(v.Type().Key()), e)
	}
	v.Set(m)
}

type pair struct{ key, value *yaml.Node }

// pairs lists a mapping's keys and values, with merge keys (<<: *base)
// expanded: keys written in the mapping win over merged ones, and earlier
// merges win over later ones. Duplicate keys are problems.
func (d *decoder) pairs(n *yaml.Node, field string, depth int) []pair {
	seen := map[string]int{} // key -> line
	var out []pair
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !d.tick(k):
			return nil
		case k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge":
			merges = append(merges, v)
		case k.Kind != yaml.ScalarNode:
			d.fail(k, field, fmt.Errorf("expected a field name, got %s", kindName(k)))
		case seen[k.Value] != 0:
			d.fail(k, field, fmt.Errorf("duplicate field %q (first at line %d)", k.Value, seen[k.Value]))
		default:
			seen[k.Value] = k.Line
			out = append(out, pair{k, v})
		}
	}
	for _, m := range merges {
		for _, p := range d.merged(m, field, depth) {
			if seen[p.key.Value] == 0 {
				seen[p.key.Value] = p.key.Line
				out = append(out, p)
			}
		}
	}
	return out
}

// merged lists the pairs that one merge key's value brings in.
func (d *decoder) merged(m *yaml.Node, field string, depth int) []pair {
	m, ok := d.deref(m, field)
	if !ok {
		return nil
	}
	if depth > 10 {
		d.fail(m, field, errors.New("merges (<<) nest too deep"))
		return nil
	}
	items := []*yaml.Node{m}
	if m.Kind == yaml.SequenceNode {
		items = m.Content
	}
	var out []pair
	for _, item := range items {
		item, ok := d.deref(item, field)
		if !ok {
			continue
		}
		if item.Kind != yaml.MappingNode {
			d.fail(item, field, fmt.Errorf("merge (<<) needs a mapping or a list of mappings, got %s", kindName(item)))
			continue
		}
		out = append(out, d.pairs(item, field, depth+1)...)
	}
	return out
}

// fieldIndex maps the YAML names of t's fields to their indexes.
func fieldIndex(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		m[cmp.Or(name, strings.ToLower(f.Name))] = i
	}
	return m
}

// join names a field of a struct.
func join(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// mapField names an entry of a map: headers.Authorization, or
// headers["X Odd"] when the key is not a plain word.
func mapField(parent, key string) string {
	if nameRE.MatchString(key) {
		return join(parent, key)
	}
	return fmt.Sprintf("%s[%q]", parent, key)
}
