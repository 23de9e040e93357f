package app

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/config"
)

// Queue destinations are built without connecting (nothing listens at
// these addresses), and closed by Plan.Close.
func TestPlanQueueDestinations(t *testing.T) {
	t.Parallel()
	yml := `destinations:
  - name: rabbit
    amqp: { url: "amqp://guest:guest@127.0.0.1:1/", exchange: hooks, routing_key: "{source}.{type}" }
  - name: stream
    redis: { addr: "127.0.0.1:1", stream: hooks }
  - name: jobs
    beanstalkd: { addr: "127.0.0.1:1", priority: 10 }
  - name: js
    nats: { url: "nats://127.0.0.1:1", subject: "hooks.{source}" }
  - name: lambda
    sqs: { queue_url: "https://sqs.eu-west-1.amazonaws.com/123456789012/hooks", access_key_id: a, secret_access_key: s }
`
	cfg, err := config.Parse("x.yaml", []byte(yml), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for name, tg := range p.Targets {
		got[name] = fmt.Sprintf("%T", tg.Destination)
	}
	want := map[string]string{"rabbit": "*queue.AMQP", "stream": "*queue.Redis", "jobs": "*queue.Beanstalkd", "js": "*queue.NATS", "lambda": "*queue.SQS"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// What only the destination's constructor checks is reported at the
// destination's line.
func TestPlanQueueErrors(t *testing.T) {
	t.Parallel()
	yml := "destinations:\n  - name: d\n    nats: { url: \"nats://h:4222\", subject: \"hooks.*\" }\n"
	cfg, err := config.Parse("x.yaml", []byte(yml), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewPlan(cfg, nil)
	want := `x.yaml:2: destination "d": subject "hooks.*": not a valid subject to publish to (tokens separated by '.', no spaces or wildcards)`
	if err == nil || err.Error() != want {
		t.Errorf("NewPlan: got\n%v\nwant\n%s", err, want)
	}
}
