package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// queueFile is a config whose destinations (line 4 on) are dests, routed
// from one source.
func queueFile(dests string) string {
	return "sources:\n  - { name: gh, provider: github, secret: s }\ndestinations:\n" + dests
}

func TestQueueDestinations(t *testing.T) {
	t.Parallel()
	yml := queueFile(`  - name: rabbit
    amqp: { url: "amqp://guest:${RABBIT_PASSWORD}@127.0.0.1:5672/", exchange: webhooks, routing_key: "{source}.{type}" }
    headers: { X-Team: core }
  - name: stream
    redis: { addr: "127.0.0.1:6379", password: "${REDIS_PASSWORD}", db: 2, stream: "hooks:in", maxlen: 100000 }
  - name: list
    redis: { addr: "127.0.0.1:6379", list: "queues:default" }
  - name: jobs
    beanstalkd: { addr: "127.0.0.1:11300", delay: 1500ms }
  - name: js
    nats: { url: "nats://127.0.0.1:4222", subject: "webhooks.{source}.{type}", stream: WEBHOOKS }
  - name: lambda
    type: sqs
    sqs:
      queue_url: "https://sqs.eu-west-1.amazonaws.com/123456789012/hooks.fifo"
      access_key_id: "${AK}"
      secret_access_key: "${SK}"
`)
	c, err := Parse("x.yaml", []byte(yml), Options{Getenv: env("RABBIT_PASSWORD", "rp", "REDIS_PASSWORD", "sp", "AK", "ak", "SK", "sk")})
	if err != nil {
		t.Fatal(err)
	}
	want := []Destination{
		{Type: "amqp", Headers: map[string]string{"X-Team": "core"},
			AMQP: &AMQPDestination{URL: "amqp://guest:rp@127.0.0.1:5672/", Exchange: "webhooks", RoutingKey: "{source}.{type}"}},
		{Type: "redis", Redis: &RedisDestination{Addr: "127.0.0.1:6379", Password: "sp", DB: 2, Stream: "hooks:in", MaxLen: 100000}},
		{Type: "redis", Redis: &RedisDestination{Addr: "127.0.0.1:6379", List: "queues:default", Push: "rpush"}},
		{Type: "beanstalkd", Beanstalkd: &BeanstalkdDestination{Addr: "127.0.0.1:11300", Tube: "default", Priority: 1024,
			Delay: Duration(1500 * time.Millisecond), TTR: Duration(time.Minute)}},
		{Type: "nats", NATS: &NATSDestination{URL: "nats://127.0.0.1:4222", Subject: "webhooks.{source}.{type}", Stream: "WEBHOOKS"}},
		{Type: "sqs", SQS: &SQSDestination{QueueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/hooks.fifo",
			AccessKeyID: "ak", SecretAccessKey: "sk"}},
	}
	var got []Destination
	for _, d := range c.Destinations {
		got = append(got, Destination{Type: d.Type, Headers: d.Headers, AMQP: d.AMQP, Redis: d.Redis,
			Beanstalkd: d.Beanstalkd, NATS: d.NATS, SQS: d.SQS})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("destinations (-want +got):\n%s", diff)
	}
}

// TestQueueErrors pins the queue blocks' messages, each at its file:line.
func TestQueueErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, dest, want string
	}{
		{"block for another type", "  - { name: d, type: nats, amqp: { url: \"amqp://h/\", routing_key: q } }\n",
			"x.yaml:4: destinations[0].amqp: only used by type \"amqp\", not \"nats\"\n" +
				"x.yaml:4: destinations[0].nats: required for type \"nats\""},
		{"two blocks", "  - name: d\n    amqp: { url: \"amqp://h/\", routing_key: q }\n    sqs: { queue_url: \"https://sqs.us-east-1.amazonaws.com/1/q\" }\n",
			"x.yaml:6: destinations[0].sqs: only used by type \"sqs\", not \"amqp\""},
		{"url with a queue", "  - { name: d, url: \"http://h/\", type: amqp, amqp: { url: \"amqp://h/\", routing_key: q } }\n",
			"x.yaml:4: destinations[0].url: not used by type \"amqp\" (the amqp block says where to send)"},
		{"amqp url scheme", "  - name: d\n    amqp: { url: \"http://h/\", routing_key: q }\n",
			"x.yaml:5: destinations[0].amqp.url: must be a amqp:// or amqps:// URL with a host, got \"http://h/\""},
		{"amqp password not echoed", "  - name: d\n    amqp: { url: \"amqp://u:secret@h:5672/%zz\", routing_key: q }\n",
			"x.yaml:5: destinations[0].amqp.url: invalid URL: invalid URL escape \"%zz\""},
		{"amqp default exchange", "  - name: d\n    amqp:\n      url: \"amqp://h/\"\n",
			"x.yaml:6: destinations[0].amqp.routing_key: required with the default exchange (it names the queue); or set exchange"},
		{"amqp placeholder", "  - name: d\n    amqp:\n      url: \"amqp://h/\"\n      exchange: x\n      routing_key: \"{source}.{kind}\"\n",
			"x.yaml:8: destinations[0].amqp.routing_key: unknown placeholder {kind} in \"{source}.{kind}\" (want {source} or {type})"},
		{"redis neither", "  - name: d\n    redis: { addr: \"h:6379\" }\n",
			"x.yaml:5: destinations[0].redis: set stream (XADD) or list (RPUSH/LPUSH)"},
		{"redis both", "  - name: d\n    redis:\n      addr: \"h:6379\"\n      stream: s\n      list: l\n",
			"x.yaml:8: destinations[0].redis.list: set stream or list, not both"},
		{"redis push", "  - name: d\n    redis:\n      addr: \"h:6379\"\n      list: l\n      push: append\n",
			"x.yaml:8: destinations[0].redis.push: invalid value \"append\" (want rpush, lpush)"},
		{"redis maxlen on a list", "  - name: d\n    redis:\n      addr: \"h:6379\"\n      list: l\n      maxlen: 5\n",
			"x.yaml:8: destinations[0].redis.maxlen: only used with stream"},
		{"redis db 0", "  - name: d\n    redis:\n      addr: \"h:6379\"\n      db: 0\n      stream: s\n",
			"x.yaml:7: destinations[0].redis.db: must be greater than 0 (leave it out for the default)"},
		{"redis list headers", "  - name: d\n    redis: { addr: \"h:6379\", list: l }\n    headers: { X-A: b }\n",
			"x.yaml:6: destinations[0].headers: not used with a redis list, whose elements are the body alone (use a stream)"},
		{"redis addr", "  - name: d\n    redis: { addr: localhost, stream: s }\n",
			"x.yaml:5: destinations[0].redis.addr: invalid address \"localhost\" (want host:port)"},
		{"beanstalkd headers", "  - name: d\n    beanstalkd: { addr: \"h:11300\" }\n    headers: { X-A: b }\n",
			"x.yaml:6: destinations[0].headers: not used by type \"beanstalkd\": jobs have no headers"},
		{"beanstalkd tube", "  - name: d\n    beanstalkd:\n      addr: \"h:11300\"\n      tube: \"-jobs\"\n",
			"x.yaml:7: destinations[0].beanstalkd.tube: invalid tube name \"-jobs\": 1 to 199 letters, digits and -+/;.$_(), not starting with '-'"},
		{"beanstalkd priority", "  - name: d\n    beanstalkd:\n      addr: \"h:11300\"\n      priority: 4294967296\n",
			"x.yaml:7: destinations[0].beanstalkd.priority: must be at most 4294967295, got 4294967296"},
		{"nats subject", "  - name: d\n    nats:\n      url: \"nats://h:4222\"\n",
			"x.yaml:6: destinations[0].nats.subject: required (such as webhooks.{source}.{type})"},
		{"nats url", "  - name: d\n    nats:\n      url: \"nats://h:4222, http://h:8222\"\n      subject: s\n",
			"x.yaml:6: destinations[0].nats.url: must be a nats:// or tls:// or ws:// or wss:// URL with a host, got \"http://h:8222\""},
		{"sqs keys", "  - name: d\n    sqs:\n      queue_url: \"https://sqs.us-east-1.amazonaws.com/1/q\"\n      access_key_id: AK\n",
			"x.yaml:7: destinations[0].sqs.access_key_id: access_key_id and secret_access_key go together"},
		{"sqs headers", "  - name: d\n    sqs: { queue_url: \"https://sqs.us-east-1.amazonaws.com/1/q\" }\n    headers: { A: \"1\", B: \"2\", C: \"3\", D: \"4\" }\n",
			"x.yaml:6: destinations[0].headers: at most 3 with type \"sqs\": SQS allows 10 message attributes, and hookgate uses 7"},
		{"sqs header name", "  - name: d\n    sqs: { queue_url: \"https://sqs.us-east-1.amazonaws.com/1/q\" }\n    headers: { \"X!Team\": a }\n",
			"x.yaml:6: destinations[0].headers[\"X!Team\"]: not a valid SQS attribute name (letters, digits, '-', '_' and single dots inside)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("x.yaml", []byte(queueFile(tc.dest)), Options{})
			got := "<nil>"
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Parse:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestQueueTypeFromBlock(t *testing.T) {
	t.Parallel()
	c, err := Parse("x.yaml", []byte(queueFile("  - { name: d, nats: { url: \"nats://h:4222\", subject: s } }\n")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Destinations[0].Type; got != "nats" {
		t.Errorf("type = %q, want nats (from the block)", got)
	}
	if strings.Join(QueueTypes, ",") != "amqp,redis,beanstalkd,nats,sqs" {
		t.Errorf("QueueTypes = %q", QueueTypes)
	}
}
