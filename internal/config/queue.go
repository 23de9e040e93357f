package config

import (
	"errors"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// QueueTypes are the destination types that send to a message broker or
// job queue; each has a block of its own, named like the type.
var QueueTypes = []string{"amqp", "redis", "beanstalkd", "nats", "sqs"}

// AMQPDestination publishes to a RabbitMQ (AMQP 0-9-1) exchange (type
// amqp): persistent messages, delivered once the broker confirms them.
type AMQPDestination struct {
	// URL is the broker: amqp://user:password@host:5672/vhost, or amqps://
	// for TLS. Required.
	URL string `yaml:"url"`
	// Exchange receives the messages; it must exist. Default "": the
	// default exchange, which routes to the queue named by routing_key.
	Exchange string `yaml:"exchange"`
	// RoutingKey is the routing key; {source} and {type} stand for the
	// event's source and type, as in "webhooks.{source}.{type}". Required
	// with the default exchange.
	RoutingKey string `yaml:"routing_key"`
}

// RedisDestination adds events to a Redis stream (XADD) or pushes their
// bodies onto a list (type redis). Set one of Stream and List.
type RedisDestination struct {
	// Addr is the server's host:port. Required.
	Addr string `yaml:"addr"`
	// Username is the ACL user. Optional.
	Username string `yaml:"username"`
	// Password authenticates (AUTH). Optional.
	Password string `yaml:"password"`
	// DB is the database number. Default 0, which cannot be written (a
	// number written must be greater than 0): leave it out.
	DB int `yaml:"db"`
	// Stream is the stream's key: each event is an entry with the field
	// "body" and one field per header.
	Stream string `yaml:"stream"`
	// List is the list's key: each event's body is one element.
	List string `yaml:"list"`
	// Push is rpush (append, for consumers that BLPOP; the default) or
	// lpush (prepend, for consumers that BRPOP). List only.
	Push string `yaml:"push"`
	// MaxLen trims the stream to about this many entries (MAXLEN ~).
	// Stream only. Optional: no trimming.
	MaxLen int64 `yaml:"maxlen"`
}

// BeanstalkdDestination puts each event's body into a beanstalkd tube as a
// job (type beanstalkd).
type BeanstalkdDestination struct {
	// Addr is the server's host:port. Required.
	Addr string `yaml:"addr"`
	// Tube receives the jobs. Default "default".
	Tube string `yaml:"tube"`
	// Priority is the jobs' priority, 1 to 4294967295 (lower is more
	// urgent). Default 1024. Priority 0 cannot be written (a number
	// written must be greater than 0).
	Priority int64 `yaml:"priority"`
	// Delay holds each job back before workers can reserve it; whole
	// seconds, rounded up. Optional: none.
	Delay Duration `yaml:"delay"`
	// TTR is how long a worker may run a job before beanstalkd hands it to
	// another; whole seconds, rounded up. Default 60s.
	TTR Duration `yaml:"ttr"`
}

// NATSDestination publishes to NATS JetStream and waits for the stream's
// acknowledgement (type nats).
type NATSDestination struct {
	// URL is the server, nats://host:4222 (tls:// for TLS), or several
	// separated by commas; user:password@ or token@ authenticate. Required.
	URL string `yaml:"url"`
	// Subject is the subject; {source} and {type} stand for the event's
	// source and type, as in "webhooks.{source}.{type}". A stream must
	// capture it. Required.
	Subject string `yaml:"subject"`
	// Stream, when set, is the stream the messages must land in: the server
	// refuses them if another stream (or none) captures the subject.
	// Optional.
	Stream string `yaml:"stream"`
}

// SQSDestination sends events to an Amazon SQS queue (type sqs).
type SQSDestination struct {
	// QueueURL is the queue's URL:
	// https://sqs.REGION.amazonaws.com/ACCOUNT/NAME. A name ending in
	// ".fifo" is a FIFO queue. Required.
	QueueURL string `yaml:"queue_url"`
	// Region is the queue's region. Default: the one in queue_url, else
	// AWS_REGION or the shared AWS config.
	Region string `yaml:"region"`
	// Endpoint replaces SQS's endpoint, for VPC endpoints and
	// SQS-compatible servers. Optional.
	Endpoint string `yaml:"endpoint"`
	// AccessKeyID and SecretAccessKey are static credentials, both or
	// neither, usually ${AWS_ACCESS_KEY_ID} and ${AWS_SECRET_ACCESS_KEY}.
	// Default: the AWS SDK's chain (environment, shared files, the IAM role
	// of the task or instance).
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
}

// queueBlocks lists d's queue blocks: the type each belongs to, and
// whether it is set.
func queueBlocks(d *Destination) []struct {
	kind string
	set  bool
} {
	return []struct {
		kind string
		set  bool
	}{
		{"amqp", d.AMQP != nil}, {"redis", d.Redis != nil}, {"beanstalkd", d.Beanstalkd != nil},
		{"nats", d.NATS != nil}, {"sqs", d.SQS != nil},
	}
}

// setQueueDefaults sets d's type from its queue block when it has none, and
// fills the block's defaults.
func setQueueDefaults(d *Destination) {
	if d.Type == "" {
		for _, b := range queueBlocks(d) {
			if b.set {
				d.Type = b.kind
				break
			}
		}
	}
	if r := d.Redis; r != nil && r.List != "" && r.Push == "" {
		r.Push = "rpush"
	}
	if b := d.Beanstalkd; b != nil {
		if b.Tube == "" {
			b.Tube = "default"
		}
		if b.Priority == 0 {
			b.Priority = 1024
		}
		if b.TTR == 0 {
			b.TTR = Duration(60 * time.Second)
		}
	}
}

var (
	// beanstalkTubeRE is a tube name as beanstalkd's clients accept it.
	beanstalkTubeRE = regexp.MustCompile(`^[A-Za-z0-9+/;.$_()][A-Za-z0-9+/;.$_()-]{0,198}$`)
	// sqsAttributeRE is what SQS allows in a message attribute name.
	sqsAttributeRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)
)

// validateQueue checks the queue block of d (and that d has no block of
// another type), and what the queue types allow of the common fields. f is
// the destination's field path.
func validateQueue(p *problems, f string, d *Destination) {
	for _, b := range queueBlocks(d) {
		switch {
		case b.kind == d.Type && !b.set:
			p.add(f+"."+b.kind, "required for type %q", d.Type)
		case b.kind != d.Type && b.set:
			p.add(f+"."+b.kind, "only used by type %q, not %q", b.kind, d.Type)
		}
	}
	if !isQueueType(d.Type) {
		return
	}
	if d.URL != "" {
		p.add(f+".url", "not used by type %q (the %s block says where to send)", d.Type, d.Type)
	}
	if d.Method != "" {
		p.add(f+".method", "not used by type %q", d.Type)
	}
	switch t := d.Type; {
	case t == "beanstalkd" && len(d.Headers) > 0:
		p.add(f+".headers", "not used by type \"beanstalkd\": jobs have no headers")
	case t == "redis" && d.Redis != nil && d.Redis.List != "" && len(d.Headers) > 0:
		p.add(f+".headers", "not used with a redis list, whose elements are the body alone (use a stream)")
	case t == "sqs" && len(d.Headers) > 3:
		p.add(f+".headers", "at most 3 with type \"sqs\": SQS allows 10 message attributes, and hookgate uses 7")
	case t == "sqs":
		for k := range d.Headers {
			if !sqsAttributeRE.MatchString(k) || strings.Contains(k, "..") || strings.HasPrefix(k, ".") || strings.HasSuffix(k, ".") {
				p.add(mapField(f+".headers", k), "not a valid SQS attribute name (letters, digits, '-', '_' and single dots inside)")
			}
		}
	}
	validateAMQP(p, f+".amqp", d.AMQP)
	validateRedis(p, f+".redis", d.Redis)
	validateBeanstalkd(p, f+".beanstalkd", d.Beanstalkd)
	validateNATS(p, f+".nats", d.NATS)
	validateSQS(p, f+".sqs", d.SQS)
}

func isQueueType(t string) bool { return slices.Contains(QueueTypes, t) }

func validateAMQP(p *problems, f string, a *AMQPDestination) {
	if a == nil {
		return
	}
	validateBrokerURL(p, f+".url", a.URL, "amqp", "amqps")
	if a.Exchange == "" && a.RoutingKey == "" {
		p.add(f+".routing_key", "required with the default exchange (it names the queue); or set exchange")
	}
	validatePlaceholders(p, f+".routing_key", a.RoutingKey)
}

func validateRedis(p *problems, f string, r *RedisDestination) {
	if r == nil {
		return
	}
	validateHostPort(p, f+".addr", r.Addr)
	switch {
	case r.Stream == "" && r.List == "":
		p.add(f, "set stream (XADD) or list (RPUSH/LPUSH)")
	case r.Stream != "" && r.List != "":
		p.add(f+".list", "set stream or list, not both")
	}
	if r.List != "" {
		oneOf(p, f+".push", r.Push, "rpush", "lpush")
	} else if r.Push != "" {
		p.add(f+".push", "only used with list")
	}
	if r.MaxLen != 0 && r.Stream == "" {
		p.add(f+".maxlen", "only used with stream")
	}
}

func validateBeanstalkd(p *problems, f string, b *BeanstalkdDestination) {
	if b == nil {
		return
	}
	validateHostPort(p, f+".addr", b.Addr)
	if !beanstalkTubeRE.MatchString(b.Tube) {
		p.add(f+".tube", "invalid tube name %q: 1 to 199 letters, digits and -+/;.$_(), not starting with '-'", b.Tube)
	}
	if b.Priority > 1<<32-1 {
		p.add(f+".priority", "must be at most 4294967295, got %d", b.Priority)
	}
}

func validateNATS(p *problems, f string, n *NATSDestination) {
	if n == nil {
		return
	}
	if n.URL == "" {
		p.add(f+".url", "required (such as nats://127.0.0.1:4222)")
	} else {
		for _, u := range strings.Split(n.URL, ",") {
			validateBrokerURL(p, f+".url", strings.TrimSpace(u), "nats", "tls", "ws", "wss")
		}
	}
	if n.Subject == "" {
		p.add(f+".subject", "required (such as webhooks.{source}.{type})")
	}
	validatePlaceholders(p, f+".subject", n.Subject)
	if strings.ContainsAny(n.Stream, " \t.*>") {
		p.add(f+".stream", "invalid stream name %q", n.Stream)
	}
}

func validateSQS(p *problems, f string, s *SQSDestination) {
	if s == nil {
		return
	}
	validateURL(p, f+".queue_url", s.QueueURL)
	if s.Endpoint != "" {
		validateURL(p, f+".endpoint", s.Endpoint)
	}
	if (s.AccessKeyID == "") != (s.SecretAccessKey == "") {
		p.add(f+".access_key_id", "access_key_id and secret_access_key go together")
	}
}

// validateBrokerURL checks a broker URL: required, one of schemes, with a
// host. Its message never repeats the URL, which may hold a password.
func validateBrokerURL(p *problems, f, raw string, schemes ...string) {
	if raw == "" {
		p.add(f, "required")
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // ue.Error() repeats the URL, which may hold a password
		}
		p.add(f, "invalid URL: %v", err)
		return
	}
	for _, s := range schemes {
		if u.Scheme == s && u.Host != "" {
			return
		}
	}
	p.add(f, "must be a %s:// URL with a host, got %q", strings.Join(schemes, ":// or "), u.Redacted())
}

func validateHostPort(p *problems, f, addr string) {
	if addr == "" {
		p.add(f, "required (host:port)")
	} else if _, _, err := net.SplitHostPort(addr); err != nil {
		p.add(f, "invalid address %q (want host:port)", addr)
	}
}

// validatePlaceholders checks a routing key or subject template: {source}
// and {type} only, braces balanced.
func validatePlaceholders(p *problems, f, s string) {
	for rest := s; rest != ""; {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			return
		}
		end := strings.IndexByte(rest[i:], '}')
		if rest[i] == '}' || end < 0 {
			p.add(f, "unbalanced braces in %q (placeholders are {source} and {type})", s)
			return
		}
		if name := rest[i+1 : i+end]; name != "source" && name != "type" {
			p.add(f, "unknown placeholder {%s} in %q (want {source} or {type})", name, s)
			return
		}
		rest = rest[i+end+1:]
	}
}
