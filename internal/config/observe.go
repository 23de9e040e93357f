package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	// Enabled serves the metrics. Default true.
	Enabled *bool `yaml:"enabled"`
	// Path is where they are served: on the management API's listener when
	// api.listen is set, else on the main listener. Default "/metrics".
	Path string `yaml:"path"`
}

// On reports whether metrics are served.
func (m Metrics) On() bool { return m.Enabled == nil || *m.Enabled }

// Tracing configures OpenTelemetry traces, exported over OTLP/HTTP. It is
// off unless OTLPEndpoint is set.
type Tracing struct {
	// OTLPEndpoint is the collector's OTLP/HTTP address, such as
	// "http://127.0.0.1:4318" (spans are posted to /v1/traces there unless
	// the URL has a path of its own) or "collector:4318" (TLS unless
	// Insecure). Empty (the default) turns tracing off.
	OTLPEndpoint string `yaml:"otlp_endpoint"`
	// SampleRatio is the share of new traces recorded, in (0, 1]. A request
	// that arrives with a traceparent follows its sender's decision.
	// Default 1.
	SampleRatio Ratio `yaml:"sample_ratio"`
	// ServiceName is the service.name resource attribute. Default
	// "hookgate".
	ServiceName string `yaml:"service_name"`
	// Insecure sends spans without TLS to an endpoint written without a
	// scheme. An http:// endpoint is always plain text, an https:// one
	// always TLS. Default false.
	Insecure bool `yaml:"insecure"`
}

// On reports whether traces are exported.
func (t Tracing) On() bool { return t.OTLPEndpoint != "" }

// Ratio is a fraction in (0, 1], written as a decimal number ("0.25").
type Ratio float64

var _ yaml.Unmarshaler = (*Ratio)(nil)

// UnmarshalYAML reads a number greater than 0 and at most 1.
func (r *Ratio) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a number such as 0.25, got %s", kindName(n))
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(n.Value), 64)
	switch {
	case err != nil:
		return fmt.Errorf("invalid number %q", n.Value)
	case f <= 0 || f > 1:
		return fmt.Errorf("must be greater than 0 and at most 1, got %s", n.Value)
	}
	*r = Ratio(f)
	return nil
}

// setObserveDefaults fills the metrics and tracing sections' defaults.
func setObserveDefaults(m *Metrics, t *Tracing) {
	if m.Path == "" {
		m.Path = "/metrics"
	}
	if t.SampleRatio == 0 {
		t.SampleRatio = 1
	}
	if t.ServiceName == "" {
		t.ServiceName = "hookgate"
	}
}

// validateObserve checks the metrics and tracing sections.
func (c *Config) validateObserve(p *problems) {
	if path := c.Metrics.Path; c.Metrics.On() && path != "" { // "" is /metrics
		switch {
		case !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " {}?#\t\r\n"):
			p.add("metrics.path", "invalid path %q (want an absolute path such as /metrics)", path)
		case path == "/" || strings.HasPrefix(path, "/in/") || path == "/healthz" || path == "/readyz" ||
			strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/ui/") || path == "/ui" ||
			path == "/listen" || strings.HasPrefix(path, "/listen/"):
			p.add("metrics.path", "%q is taken by another route; choose another path such as /metrics", path)
		}
	}
	t := c.Tracing
	if t.SampleRatio < 0 || t.SampleRatio > 1 {
		p.add("tracing.sample_ratio", "must be greater than 0 and at most 1")
	}
	if !t.On() {
		return
	}
	if err := checkOTLPEndpoint(t.OTLPEndpoint, t.Insecure); err != nil {
		p.addErr("tracing.otlp_endpoint", err)
	}
	if strings.TrimSpace(t.ServiceName) == "" {
		p.add("tracing.service_name", "must not be blank")
	}
}

// checkOTLPEndpoint checks an OTLP/HTTP endpoint: an http or https URL
// with a host, or host:port.
func checkOTLPEndpoint(e string, insecure bool) error {
	if !strings.Contains(e, "://") {
		if _, _, err := net.SplitHostPort(e); err != nil {
			return fmt.Errorf("invalid endpoint %q (want a URL such as http://127.0.0.1:4318, or host:port)", e)
		}
		return nil
	}
	u, err := url.Parse(e)
	switch {
	case err != nil:
		return fmt.Errorf("invalid URL %q", e)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme %q: OTLP is sent over http or https", u.Scheme)
	case u.Host == "":
		return fmt.Errorf("URL %q has no host", e)
	case u.User != nil:
		return fmt.Errorf("URL must not hold credentials")
	case u.Scheme == "https" && insecure:
		return fmt.Errorf("insecure is set but the endpoint is https; use http:// for plain text")
	}
	return nil
}
