package app

import (
	"errors"
	"fmt"
	"io"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/ingest"
	listendest "github.com/hookgate/hookgate/internal/listen" // app has a func listen
	"github.com/hookgate/hookgate/internal/route"
	"github.com/hookgate/hookgate/internal/verify"
)

// Plan is everything a config describes, built but not started: no file is
// opened (but a source's jwks_file and a destination's tls files, which are
// read) and no port bound, so `hookgate check` can build one too.
type Plan struct {
	Sources []ingest.Source
	Targets map[string]deliver.Target

	// routes are each source's compiled routes, in file order.
	routes map[string][]*route.Route
}

// NewPlan builds the sources' providers, the routes and the destinations of
// cfg. The log destination prints to stdout. Errors name the file and line.
func NewPlan(cfg *config.Config, stdout io.Writer) (*Plan, error) {
	p := &Plan{Targets: map[string]deliver.Target{}}
	var errs []error
	routes, err := compileRoutes(cfg)
	if err != nil {
		errs = append(errs, err)
	}
	p.routes = routes
	for _, s := range cfg.Sources {
		src, err := newSource(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: source %q: %w", cfg.File, s.Line, s.Name, err))
			continue
		}
		src.Router = route.NewRouter(s.Name, routes[s.Name], route.Options{})
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
		p.Targets[d.Name] = withFlow(p.Targets[d.Name], d)
	}
	return p, errors.Join(errs...)
}

// Close releases what the destinations hold (a broker's connection, ...):
// those that are an io.Closer are closed. Call it once no delivery runs.
func (p *Plan) Close() error {
	var errs []error
	for name, t := range p.Targets {
		if c, ok := t.Destination.(io.Closer); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close destination %q: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

func newDestination(d config.Destination, stdout io.Writer) (destination.Destination, error) {
	switch d.Type {
	case "http":
		return newHTTP(d)
	case "log":
		return destination.NewLog(stdout), nil
	case "exec":
		return newExec(d)
	case "file":
		return newFile(d)
	case "s3":
		return newS3(d)
	case "amqp", "redis", "beanstalkd", "nats", "sqs":
		return newQueue(d)
	case "listen":
		return listendest.New(d.Name, d.Listen.Token), nil
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
