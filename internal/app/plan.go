package app

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/ingest"
	"github.com/hookgate/hookgate/internal/verify"
)

// Plan is everything a config describes, built but not started: no file is
// opened (but a source's jwks_file, which is read) and no port bound, so
// `hookgate check` can build one too.
type Plan struct {
	Sources []ingest.Source
	Targets map[string]deliver.Target
}

// NewPlan builds the sources' providers, the routes and the destinations of
// cfg. The log destination prints to stdout. Errors name the file and line.
func NewPlan(cfg *config.Config, stdout io.Writer) (*Plan, error) {
	p := &Plan{Targets: map[string]deliver.Target{}}
	var errs []error
	routed := routes(cfg)
	for _, s := range cfg.Sources {
		src, err := newSource(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: source %q: %w", cfg.File, s.Line, s.Name, err))
			continue
		}
		src.Destinations = routed[s.Name]
		p.Sources = append(p.Sources, src)
	}
	for _, d := range cfg.Destinations {
		dst, err := newDestination(d, stdout)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: destination %q: %w", cfg.File, d.Line, d.Name, err))
			continue
		}
		p.Targets[d.Name] = deliver.Target{
			Destination: dst,
			Policy: deliver.Policy{
				MaxAttempts: d.Retry.MaxAttempts,
				Initial:     d.Retry.Initial.D(),
				Max:         d.Retry.Max.D(),
			},
			Concurrency: d.Concurrency,
			Timeout:     d.Timeout.D(),
		}
	}
	return p, errors.Join(errs...)
}

// routes maps each source to the destinations its events go to, each once,
// in the order the config first names them.
func routes(cfg *config.Config) map[string][]string {
	out := map[string][]string{}
	for _, r := range cfg.Routes {
		for _, from := range r.From {
			for _, to := range r.To {
				if !slices.Contains(out[from], to) {
					out[from] = append(out[from], to)
				}
			}
		}
	}
	return out
}

func newDestination(d config.Destination, stdout io.Writer) (destination.Destination, error) {
	switch d.Type {
	case "http":
		return destination.NewHTTP(destination.HTTPConfig{
			URL:     d.URL,
			Method:  d.Method,
			Headers: d.Headers,
			Timeout: d.Timeout.D(),
		})
	case "log":
		return destination.NewLog(stdout), nil
	default:
		return nil, fmt.Errorf("unknown type %q", d.Type)
	}
}

// VerifyOptions turns a source's config into its provider's options.
func VerifyOptions(s config.Source) verify.Options {
	o := verify.Options{
		Secrets:         s.AllSecrets(),
		Tolerance:       s.Tolerance.D(),
		PublicURL:       s.PublicURL,
		VerifyToken:     s.VerifyToken,
		PublicKey:       s.PublicKey,
		SignatureMethod: s.SignatureMethod,
	}
	if s.HMAC != nil {
		o.HMAC = verify.HMACOptions{
			Header:           s.HMAC.Header,
			Algorithm:        s.HMAC.Algorithm,
			Encoding:         s.HMAC.Encoding,
			Prefix:           s.HMAC.Prefix,
			EventTypeHeader:  s.HMAC.EventTypeHeader,
			DeliveryIDHeader: s.HMAC.DeliveryIDHeader,
		}
	}
	return o
}

// CheckSource is config.Options.CheckSource: a source is valid when its
// provider and its auth can be built from it.
func CheckSource(s config.Source) error {
	_, err := newSource(s)
	return err
}
