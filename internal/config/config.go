// Package config reads hookgate's YAML configuration: documented structs,
// ${ENV} interpolation, defaults in one place, and validation whose errors
// name the field and its file:line.
//
// Rules for the file, beyond the fields documented here:
//   - ${NAME} in a value is replaced by the environment variable NAME, and
//     ${NAME:-default} by default when NAME is unset or empty; an unset
//     variable with no default is an error. $${ is a literal ${. Keys are
//     never expanded, nor are expanded values expanded again.
//   - Unknown and duplicate fields are errors.
//   - Numbers (counts, durations, sizes) must be greater than 0: a field
//     left out takes its default, and writing 0 is an error rather than a
//     silent default.
//   - Anchors, aliases and merge keys (<<: *base) work as in YAML.
//
// YAML is parsed with go.yaml.in/yaml/v3 (the YAML organisation's maintained
// continuation of gopkg.in/yaml.v3): its Node API keeps line numbers, which
// every error message here needs.
package config

import "time"

// Config is the whole configuration file.
type Config struct {
	// Listen is the address of the ingest (and health) listener, such as
	// "127.0.0.1:8080" or ":8080". Default ":8080".
	Listen string `yaml:"listen"`
	// Storage selects the storage engine.
	Storage Storage `yaml:"storage"`
	// Server holds HTTP server timeouts and limits.
	Server Server `yaml:"server"`
	// Delivery tunes the delivery workers.
	Delivery Delivery `yaml:"delivery"`
	// Retention says how long stored records are kept (see Retention).
	Retention Retention `yaml:"retention"`
	// Log configures structured logging.
	Log Log `yaml:"log"`
	// Sources are the endpoints providers send to, each served at /in/{name}.
	Sources []Source `yaml:"sources"`
	// Destinations are where events are delivered.
	Destinations []Destination `yaml:"destinations"`
	// Routes connect sources to destinations.
	Routes []Route `yaml:"routes"`
	// API configures the management API (see API).
	API API `yaml:"api"`
	// Metrics and Tracing configure observability (see observe.go).
	Metrics Metrics `yaml:"metrics"`
	Tracing Tracing `yaml:"tracing"`

	// File is the path the config was read from (set by Load and Parse).
	File string `yaml:"-"`
}

// Storage selects and configures the storage engine.
type Storage struct {
	// Driver is "sqlite" (embedded, the default) or "postgres".
	Driver string `yaml:"driver"`
	// Path is the SQLite database file (driver sqlite only). Its folder is
	// created if missing. Default "./data/hookgate.db".
	Path string `yaml:"path"`
	// DSN is the PostgreSQL connection string (driver postgres only, which
	// requires it).
	DSN string `yaml:"dsn"`
}

// Server holds HTTP server settings that protect against slow or hostile
// clients.
type Server struct {
	// ReadHeaderTimeout bounds reading request headers. Default 5s.
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request, body included. Default 30s.
	ReadTimeout Duration `yaml:"read_timeout"`
	// WriteTimeout bounds writing a response. Default 30s.
	WriteTimeout Duration `yaml:"write_timeout"`
	// IdleTimeout closes idle keep-alive connections. Default 120s.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// ShutdownTimeout bounds the graceful drain on SIGTERM. Default 30s.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// MaxHeaderBytes bounds request headers. Default 64KiB.
	MaxHeaderBytes ByteSize `yaml:"max_header_bytes"`
	// TLS serves HTTPS, from certificate files or ACME (see TLS).
	// Optional: plain HTTP, for use behind a proxy that terminates TLS.
	TLS *TLS `yaml:"tls"`
	// PIDFile, when set, is where `hookgate serve` writes its process id
	// (removed on exit), for `hookgate reload --pid-file`. Optional.
	PIDFile string `yaml:"pid_file"`
}

// Delivery tunes the delivery workers.
type Delivery struct {
	// Batch is how many due deliveries one lease claims at most for each
	// destination (each also at most what its queue has room for). Default 128.
	Batch int `yaml:"batch"`
	// Lease is how long a worker holds a delivery before another may take it
	// over. It must exceed every destination timeout. Default 1m.
	Lease Duration `yaml:"lease"`
	// Poll is how often workers look for due deliveries when nothing woke
	// them (retries coming due, leases expiring). Default 1s.
	Poll Duration `yaml:"poll"`
	// SSRFGuard turns on every http destination's ssrf_guard unless the
	// destination says ssrf_guard: false. Default false.
	SSRFGuard bool `yaml:"ssrf_guard"`
}

// Log configures structured logging.
type Log struct {
	// Level is debug, info, warn or error. Default info.
	Level string `yaml:"level"`
	// Format is json or text. Default json.
	Format string `yaml:"format"`
}

// Source is one ingest endpoint, served at /in/{name}.
type Source struct {
	// Name is the URL path segment: 1 to 64 letters, digits, '-' and '_'.
	// Required; unique among sources.
	Name string `yaml:"name"`
	// Provider names the verification preset (github, x, hmac,
	// standardwebhooks, ...). Required, unless Auth is set: a source with
	// auth and no provider is accepted without a signature. Which names
	// exist, and which need a secret, is for Options.CheckSource to say.
	Provider string `yaml:"provider"`
	// Secret is the shared secret the provider signs with.
	Secret string `yaml:"secret"`
	// Secrets lists more accepted secrets, for rotation; any one verifies.
	Secrets []string `yaml:"secrets"`
	// MaxBody is the largest accepted body. Default 1MiB.
	MaxBody ByteSize `yaml:"max_body"`
	// Tolerance bounds signed timestamps, past and future. Default: the
	// provider's documented window.
	Tolerance Duration `yaml:"tolerance"`
	// HMAC configures provider "hmac", which requires it; other providers
	// do not allow it.
	HMAC *HMAC `yaml:"hmac"`
	// PublicURL is this source's URL exactly as the provider was told to
	// call it, such as "https://hooks.example.com/in/twilio", for the
	// providers that sign the URL (twilio, square, hubspot, hubspot-v2,
	// trello, plivo, ebay). Set it whenever hookgate is behind a proxy or a
	// rewrite; without it the URL is rebuilt from the Host header, over
	// https. Other providers do not allow it.
	PublicURL string `yaml:"public_url"`
	// VerifyToken is the token the provider echoes in its subscription
	// handshake (meta, facebook, instagram, whatsapp, strava, websub, ebay).
	// Other providers do not allow it.
	VerifyToken string `yaml:"verify_token"`
	// PublicKey verifies the providers that sign with a private key:
	// discord and discord-events (hex), telnyx (base64), sendgrid and ebay
	// (base64 DER or PEM). They need no secret. Other providers do not
	// allow it.
	PublicKey string `yaml:"public_key"`
	// SignatureMethod is provider vonage-sms's signature method, as its
	// dashboard says: md5hash, md5hmac, sha1hmac, sha256hmac or sha512hmac.
	SignatureMethod string `yaml:"signature_method"`
	// Auth authenticates the sender (basic, bearer, api_key, jwt, ip_allow,
	// mtls; see Auth), before the provider's signature is checked. Optional.
	Auth *Auth `yaml:"auth"`
	// RequiredHeaders names headers every request must carry, such as
	// x-topic; a request without one is refused with 400 naming it.
	// Checked after Auth. Optional.
	RequiredHeaders []string `yaml:"required_headers"`

	// Line is where the source starts in the file (set by Load and Parse).
	Line int `yaml:"-"`
}

// AllSecrets returns Secret followed by Secrets, without empty ones.
func (s *Source) AllSecrets() []string {
	var out []string
	if s.Secret != "" {
		out = append(out, s.Secret)
	}
	for _, v := range s.Secrets {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// HMAC configures the generic HMAC scheme.
type HMAC struct {
	// Header carries the signature, such as "x-hmac". Required.
	Header string `yaml:"header"`
	// Algorithm is sha1, sha256 (default) or sha512.
	Algorithm string `yaml:"algorithm"`
	// Encoding is hex (default) or base64.
	Encoding string `yaml:"encoding"`
	// Prefix precedes the encoded signature, such as "sha256=". Optional.
	Prefix string `yaml:"prefix"`
	// EventTypeHeader names the header carrying the event type. Optional.
	EventTypeHeader string `yaml:"event_type_header"`
	// DeliveryIDHeader names the header carrying the sender's delivery id,
	// used to drop duplicates. Optional.
	DeliveryIDHeader string `yaml:"delivery_id_header"`
}

// Destination is a place events are delivered to.
type Destination struct {
	// Name identifies the destination in routes: 1 to 64 letters, digits,
	// '-' and '_'. Required; unique among destinations.
	Name string `yaml:"name"`
	// Type is "http" (the default when url is set), "log", "exec", "file",
	// "s3", a queue: "amqp", "redis", "beanstalkd", "nats" or "sqs", or
	// "listen" (the default when that block is set); see
	// docs/destinations.md.
	Type string `yaml:"type"`
	// URL is the HTTP destination's address: an absolute http or https URL.
	// Required for type http; not allowed for type log.
	URL string `yaml:"url"`
	// Method is the HTTP method, in upper case. Default POST (type http).
	Method string `yaml:"method"`
	// Headers are added to every request. Names must be HTTP tokens, and
	// values may not hold line breaks.
	Headers map[string]string `yaml:"headers"`
	// Timeout bounds one attempt, and must be shorter than delivery.lease.
	// Default 10s.
	Timeout Duration `yaml:"timeout"`
	// Concurrency caps attempts in flight to this destination. Default 16.
	Concurrency int `yaml:"concurrency"`
	// Retry is the retry policy.
	Retry Retry `yaml:"retry"`
	// RateLimit caps how fast attempts start (see RateLimit). Optional:
	// no limit.
	RateLimit *RateLimit `yaml:"rate_limit"`
	// Circuit is the circuit breaker (see Circuit). Optional: none.
	Circuit *Circuit `yaml:"circuit"`
	// Paused starts the destination paused: its deliveries wait, not
	// attempted, until the destination is resumed (through the management
	// API). Default false.
	Paused bool `yaml:"paused"`
	// Secret signs forwarded requests (type http) with the Standard
	// Webhooks scheme (webhook-id, webhook-timestamp, webhook-signature),
	// so the receiver can check they come from hookgate. Written as
	// Standard Webhooks secrets are: "whsec_" and base64. Optional.
	Secret string `yaml:"secret"`
	// SSRFGuard refuses connections to loopback, private, link-local,
	// multicast and unspecified addresses, checked on the address dialled
	// (after DNS), for types http and s3. Default: delivery.ssrf_guard for
	// type http, false for s3.
	SSRFGuard *bool `yaml:"ssrf_guard"`
	// AllowCIDRs are networks the SSRF guard lets through all the same,
	// such as [10.1.2.0/24]. Only with ssrf_guard.
	AllowCIDRs []string `yaml:"allow_cidrs"`
	// TLS configures https connections (types http and s3). Optional.
	TLS *DestinationTLS `yaml:"tls"`
	// Exec configures type exec (see ExecDestination).
	Exec *ExecDestination `yaml:"exec"`
	// File configures type file (see FileDestination).
	File *FileDestination `yaml:"file"`
	// S3 configures type s3 (see S3Destination).
	S3 *S3Destination `yaml:"s3"`
	// AMQP configures type amqp: RabbitMQ (see AMQPDestination).
	AMQP *AMQPDestination `yaml:"amqp"`
	// Redis configures type redis: a stream or a list (see
	// RedisDestination).
	Redis *RedisDestination `yaml:"redis"`
	// Beanstalkd configures type beanstalkd (see BeanstalkdDestination).
	Beanstalkd *BeanstalkdDestination `yaml:"beanstalkd"`
	// NATS configures type nats: NATS JetStream (see NATSDestination).
	NATS *NATSDestination `yaml:"nats"`
	// SQS configures type sqs: Amazon SQS (see SQSDestination).
	SQS *SQSDestination `yaml:"sqs"`
	// Listen configures type listen: `hookgate listen` (see
	// ListenDestination).
	Listen *ListenDestination `yaml:"listen"`

	// Line is where the destination starts in the file (set by Load and
	// Parse).
	Line int `yaml:"-"`
}

// Retry is a destination's retry policy: exponential backoff with full
// jitter between Initial and Max, at most MaxAttempts attempts in all.
type Retry struct {
	// MaxAttempts counts all attempts, the first included. Default 8.
	MaxAttempts int `yaml:"max_attempts"`
	// Initial is the backoff cap before the second attempt; at most Max.
	// Default 1s.
	Initial Duration `yaml:"initial"`
	// Max caps every backoff. Default 1h.
	Max Duration `yaml:"max"`
	// MaxAge gives a delivery up (dead) this long after its event was
	// received, or after it was retried or replayed by hand: no attempt
	// starts later, and a failed attempt whose retry would come later is
	// the last. Optional: no limit.
	MaxAge Duration `yaml:"max_age"`
	// RetryStatuses are the answers that are retried: status codes (429)
	// and classes ("5xx"), from 300 to 599. Any other failure status makes
	// the delivery dead at once; no answer at all (refused, timeout) is
	// always retried. Default [408, 429, "5xx"].
	RetryStatuses []Status `yaml:"retry_statuses"`
	// DisableOn410 makes a 410 Gone answer pause the destination, besides
	// making the delivery dead: the receiver says it is gone for good, so
	// nothing more is sent until an operator resumes it. It is logged as
	// an error. Default false.
	DisableOn410 bool `yaml:"disable_on_410"`
}

// Route delivers events from the sources in From to the destinations in To.
type Route struct {
	// From names the sources whose events this route takes.
	From []string `yaml:"from"`
	// To names the destinations those events are delivered to.
	To []string `yaml:"to"`
	// Filter is a CEL expression of type bool over source, type, headers,
	// query and body (see docs/routing.md), such as
	// headers["x-github-event"] == "push" && body.ref == "refs/heads/main".
	// Only events for which it is true take the route. Optional: no filter
	// takes every event. An event that several routes take gets one
	// delivery per destination; the first of those routes, in file order,
	// decides its transform and ordering.
	Filter string `yaml:"filter"`
	// Transform rewrites what the route's deliveries send. Optional.
	Transform *Transform `yaml:"transform"`
	// Ordering makes deliveries with the same key go one at a time, in the
	// order the events came. Optional.
	Ordering *Ordering `yaml:"ordering"`

	// Line is where the route starts in the file (set by Load and Parse).
	Line int `yaml:"-"`
}

// Transform rewrites what a route's deliveries send, with CEL expressions
// (see docs/routing.md), for instance to relay events to a chat webhook.
type Transform struct {
	// Body is a CEL expression whose value is sent instead of the event's
	// body: a string or bytes as they are, a map or list as JSON (with
	// Content-Type application/json), such as
	// {"text": "push to " + body.repository.full_name}. Optional.
	Body string `yaml:"body"`
	// Headers maps header names to CEL expressions of type string, whose
	// values are set on each request. Optional.
	Headers map[string]string `yaml:"headers"`
}

// Ordering delivers a route's events one at a time per key.
type Ordering struct {
	// Key is a CEL expression of type string, such as
	// body.repository.full_name. Deliveries to one destination with the
	// same non-empty key are made one at a time, in the order the events
	// were received; a delivery waits while an older one of its key is
	// pending (being attempted, or waiting to be retried), and goes once
	// that one succeeds or is dead. Required.
	Key string `yaml:"key"`
}

// Duration is a time.Duration written as "250ms", "5s", "1h" (see
// time.ParseDuration); negative durations are rejected.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ByteSize is a size in bytes, written as 1048576, "512KiB", "1MiB" or
// "2MB" (see ParseByteSize).
type ByteSize int64
