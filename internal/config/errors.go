package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// FieldError is one problem in a configuration, printed as
// "FILE:LINE: FIELD: message", for example
//
//	hookgate.yaml:7: destinations[0].retry.initial: invalid duration "5x"
//
// Parts that are unknown are left out: a config built in code has no File,
// and a YAML syntax error has no Field. Load, Parse and Validate return one
// FieldError, or several joined with errors.Join; use errors.As to read them.
type FieldError struct {
	// File is the config file's path as given to Load or Parse.
	File string
	// Line is the 1-based line in File, or 0 when unknown.
	Line int
	// Field is the path of the field from the top of the file, such as
	// "sources[0].secret"; empty for problems with the file as a whole.
	Field string
	// Err says what is wrong.
	Err error
}

func (e *FieldError) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	if e.Err == nil {
		b.WriteString("invalid")
	} else {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *FieldError) Unwrap() error { return e.Err }

// problems collects FieldErrors for one file, placing each at the line of
// its field (or of the nearest enclosing field whose line is known).
type problems struct {
	file  string
	lines map[string]int // field path -> line
	errs  []error
}

// add records a problem with field, at the field's line.
func (p *problems) add(field string, format string, args ...any) {
	p.addErr(field, fmt.Errorf(format, args...))
}

func (p *problems) addErr(field string, err error) {
	p.errs = append(p.errs, &FieldError{File: p.file, Line: p.line(field), Field: field, Err: err})
}

// line returns the line of field, or of its nearest known parent.
func (p *problems) line(field string) int {
	for field != "" {
		if l, ok := p.lines[field]; ok {
			return l
		}
		field = field[:max(strings.LastIndexByte(field, '.'), strings.LastIndexByte(field, '['), 0)]
	}
	return 0
}

// err returns the problems in file order, joined, or nil.
func (p *problems) err() error {
	slices.SortStableFunc(p.errs, func(a, b error) int {
		return lineOf(a) - lineOf(b)
	})
	return errors.Join(p.errs...)
}

func lineOf(err error) int {
	if fe, ok := err.(*FieldError); ok {
		return fe.Line
	}
	return 0
}

// split undoes errors.Join, so that each problem is reported on its own.
// Other errors that wrap several (fmt.Errorf with two %w) say more than
// their parts and are kept whole.
func split(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var msgs []string
	for _, e := range j.Unwrap() {
		msgs = append(msgs, e.Error())
	}
	if err.Error() != strings.Join(msgs, "\n") {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, split(e)...)
	}
	return out
}
