package app

import (
	"errors"

	"github.com/hookgate/hookgate/internal/auth"
	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/ingest"
	"github.com/hookgate/hookgate/internal/verify"
)

// newSource builds a source's provider (none when the config names none:
// the source then relies on auth alone) and its authentication. Provider
// errors are plain; auth errors are *config.FieldError naming the field
// relative to the source, joined.
func newSource(s config.Source) (ingest.Source, error) {
	src := ingest.Source{
		Name:            s.Name,
		MaxBody:         int64(s.MaxBody),
		RequiredHeaders: s.RequiredHeaders,
	}
	var errs []error
	if s.Provider != "" {
		prov, err := verify.New(s.Provider, VerifyOptions(s))
		if err != nil {
			errs = append(errs, err)
		}
		src.Provider = prov
	}
	if s.Auth != nil {
		pol, err := auth.New(s.Auth, auth.Options{})
		if err != nil {
			errs = append(errs, err)
		} else {
			src.Auth = pol // never a nil *Policy in the interface
		}
	}
	if src.Provider == nil && src.Auth == nil && len(errs) == 0 {
		errs = append(errs, errors.New("no provider and no auth: every request would be accepted"))
	}
	return src, errors.Join(errs...)
}
