package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Options are what Load and Parse need from outside the file.
type Options struct {
	// Getenv looks up the variables that ${NAME} refers to, as os.Getenv
	// does. When nil, every variable is unset.
	Getenv func(name string) string

	// CheckSource checks what only the provider registry knows about a
	// source: that its provider exists, and that it has what that provider
	// needs (a secret, or none for providers that sign with public keys).
	// Config itself only requires Provider to be set, and checks the
	// "hmac" block.
	//
	// It is called after defaults, once for each source whose provider,
	// hmac block and limits config found no problem with.
	// Each error it returns (several may be joined with errors.Join) is
	// reported at the source, as "FILE:LINE: sources[i]: message"; to name
	// a field of the source, return a *FieldError whose Field is relative
	// to it (Field: "secret" reports "sources[i].secret" at that line).
	//
	// When nil, providers are not checked: `hookgate serve` and
	// `hookgate check` must set it.
	CheckSource func(s Source) error

	// CheckRoute checks what only the route compiler knows about a route:
	// that its filter, transform and ordering expressions compile, with the
	// right types. It is called after Validate, once for each route that
	// config found no problem with; its errors are reported as
	// CheckSource's are, at the route, or at a field of it
	// (Field: "filter" reports "routes[i].filter" at that field's line).
	//
	// When nil, expressions are not checked: `hookgate serve` and
	// `hookgate check` must set it.
	CheckRoute func(r Route) error
}

// Load reads the config file at path, as Parse does.
func Load(path string, opts Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return Parse(path, data, opts)
}

// Parse reads a config from data, which came from file (used in messages
// and set as Config.File). It expands ${NAME} and ${NAME:-default} in values
// (never in keys; $${ is a literal ${), rejects unknown fields, applies
// defaults (SetDefaults) and validates (Validate, then opts.CheckSource).
//
// Its error lists every problem found, each a *FieldError printed as
// "FILE:LINE: FIELD: message", joined with errors.Join in file order.
// Problems reading the YAML are reported first and alone: a config that
// does not decode is not validated.
func Parse(file string, data []byte, opts Options) (*Config, error) {
	root, err := parseYAML(file, data)
	if err != nil {
		return nil, err
	}
	c := &Config{File: file}
	d := &decoder{problems: problems{file: file, lines: map[string]int{}}, getenv: opts.Getenv}
	if root != nil {
		d.decode(root, "", reflect.ValueOf(c).Elem())
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	c.setLines(d.lines)
	c.SetDefaults()
	p := &problems{file: file, lines: d.lines}
	c.validate(p, opts.CheckSource)
	c.checkRoutes(p, opts.CheckRoute)
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseYAML parses data's single document, returning its top node, or nil
// for an empty file.
func parseYAML(file string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err == io.EOF {
		return nil, nil
	} else if err != nil {
		return nil, syntaxError(file, data, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err != io.EOF {
		if err != nil {
			return nil, syntaxError(file, data, err)
		}
		return nil, &FieldError{File: file, Line: next.Line, Err: errors.New("only one YAML document is allowed")}
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, nil
		}
		return doc.Content[0], nil
	}
	return &doc, nil
}

var yamlLineRE = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

// parserProblems are the problems that yaml's parser (not its scanner)
// reports. For these, yaml gives the 0-based line of where the construct
// began, so the 1-based line is one more.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// syntaxProblemRE matches what yaml's scanner and parser report. When they
// give no line, the problem is on the first: yaml leaves out line 0. Other
// problems (bad UTF-8, an unknown anchor) come with no position at all.
var syntaxProblemRE = regexp.MustCompile(`^(did not find|found|could not find|mapping keys are|mapping values are|block sequence entries are|exceeded max depth)\b`)

// unquotedRefRE finds ${ written unquoted inside a flow collection, as in
// { dsn: ${DATABASE_URL} }, where YAML reads { and } as its own.
var unquotedRefRE = regexp.MustCompile(`(?:[\[{].*[:,]|\[)\s*\$\{`)

// syntaxError rewrites "yaml: line 3: did not find expected key" as
// "FILE:4: did not find expected key", with a hint for the usual cause when
// there is one. The tests pin the lines, so a change in how yaml counts
// them shows up there.
func syntaxError(file string, data []byte, err error) error {
	msg, _ := strings.CutPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if parserProblems[msg] {
			line++
		}
	} else if syntaxProblemRE.MatchString(msg) {
		line = 1
	}
	if text, ok := lineOfText(data, line); ok && unquotedRefRE.MatchString(text) {
		msg += ` (inside { } or [ ], quote values that use ${...}: "${NAME}")`
	}
	return &FieldError{File: file, Line: line, Err: errors.New(msg)}
}

// lineOfText returns the 1-based line n of data.
func lineOfText(data []byte, n int) (string, bool) {
	for i, l := range strings.Split(string(data), "\n") {
		if i+1 == n {
			return l, true
		}
	}
	return "", false
}

// setLines sets the Line of sources, destinations and routes.
func (c *Config) setLines(lines map[string]int) {
	for i := range c.Sources {
		c.Sources[i].Line = lines[fmt.Sprintf("sources[%d]", i)]
	}
	for i := range c.Destinations {
		c.Destinations[i].Line = lines[fmt.Sprintf("destinations[%d]", i)]
	}
	for i := range c.Routes {
		c.Routes[i].Line = lines[fmt.Sprintf("routes[%d]", i)]
	}
}
