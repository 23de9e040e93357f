package queue

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/schemas"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/destination"
)

// The SQS test server (goaws, see scripts/sqs-test-server) speaks SQS's
// Query protocol only, where the SDK defaults to AWS JSON: the tests switch
// the SDK over. What hookgate sends is the same either way.
func queryProtocol(o *sqs.Options) { o.Protocol = awsquery.New(schemas.AmazonSQS) }

func TestSQS(t *testing.T) {
	t.Parallel()
	testBroker(t, broker{env: envSQS, open: openSQS, headers: true})
}

func openSQS(t *testing.T, srv, addr string) (destination.Destination, consumer) {
	queueURL := sqsQueue(t, srv, uniqueName("hookgate-test-"))
	dst := newSQS(t, SQSConfig{QueueURL: queueURL, Endpoint: withHostPort(t, srv, addr), Headers: map[string]string{"X-Team": "core"}})
	return dst, sqsConsumer(t, srv, queueURL)
}

func newSQS(t *testing.T, cfg SQSConfig) *SQS {
	t.Helper()
	cfg.Region = "us-east-1"
	cfg.AccessKeyID, cfg.SecretAccessKey = "test", "test"
	s, err := NewSQS(cfg)
	if err != nil {
		t.Fatalf("NewSQS: %v", err)
	}
	s.options = append(s.options, queryProtocol)
	t.Cleanup(func() { s.Close() })
	return s
}

// sqsClient is the test's own client.
func sqsClient(endpoint string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, queryProtocol)
}

// sqsQueue creates a queue (FIFO if its name ends in .fifo) and returns its
// URL.
func sqsQueue(t *testing.T, endpoint, name string) string {
	t.Helper()
	in := &sqs.CreateQueueInput{QueueName: aws.String(name)}
	if strings.HasSuffix(name, ".fifo") {
		in.Attributes = map[string]string{"FifoQueue": "true"}
	}
	out, err := sqsClient(endpoint).CreateQueue(t.Context(), in)
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// sqsConsumer receives (and deletes) the queue's messages one at a time.
func sqsConsumer(t *testing.T, endpoint, queueURL string) consumer {
	c := sqsClient(endpoint)
	return func(t *testing.T) message {
		t.Helper()
		m := receiveSQS(t, c, queueURL, 10*time.Second)
		if m == nil {
			t.Fatal("no message within 10s")
		}
		got := message{Body: []byte(aws.ToString(m.Body)), Header: map[string]string{}}
		for k, v := range m.MessageAttributes {
			got.Header[k] = aws.ToString(v.StringValue)
		}
		return got
	}
}

// receiveSQS returns the next message, or nil if none comes within wait.
func receiveSQS(t *testing.T, c *sqs.Client, queueURL string, wait time.Duration) *types.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	for ctx.Err() == nil {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:              aws.String(queueURL),
			MaxNumberOfMessages:   1,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			t.Fatalf("receive: %v", err)
		}
		if len(out.Messages) == 0 {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		m := out.Messages[0]
		if _, err := c.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		return &m
	}
	return nil
}

// A body SQS cannot take as text goes base64-encoded, and says so.
func TestSQSBinaryBody(t *testing.T) {
	t.Parallel()
	srv := server(t, envSQS)
	queueURL := sqsQueue(t, srv, uniqueName("hookgate-test-"))
	dst := newSQS(t, SQSConfig{QueueURL: queueURL, Endpoint: srv})
	body := binaryBody()
	ev := testEvent(body)
	if r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev)); deliver.Classify(r) != deliver.Success {
		t.Fatalf("Deliver = %+v (response %q)", r, r.Response)
	}
	got := sqsConsumer(t, srv, queueURL)(t)
	if want := base64.StdEncoding.EncodeToString(body); string(got.Body) != want {
		t.Errorf("body = %q, want %q", got.Body, want)
	}
	if got.Header[HeaderBodyEncoding] != "base64" {
		t.Errorf("%s = %q, want base64", HeaderBodyEncoding, got.Header[HeaderBodyEncoding])
	}
}

// On a FIFO queue the event id is the deduplication id: a second delivery
// of the same event succeeds, and the queue holds it once.
func TestSQSFIFO(t *testing.T) {
	t.Parallel()
	srv := server(t, envSQS)
	queueURL := sqsQueue(t, srv, uniqueName("hookgate-test-")+".fifo")
	dst := newSQS(t, SQSConfig{QueueURL: queueURL, Endpoint: srv})
	ev := testEvent([]byte(`{"once":true}`))
	for i := range 2 {
		if r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev)); deliver.Classify(r) != deliver.Success {
			t.Fatalf("Deliver %d = %+v (response %q)", i, r, r.Response)
		}
	}
	c := sqsClient(srv)
	if m := receiveSQS(t, c, queueURL, 5*time.Second); m == nil || aws.ToString(m.Body) != `{"once":true}` {
		t.Fatalf("first message = %+v", m)
	}
	if m := receiveSQS(t, c, queueURL, time.Second); m != nil {
		t.Errorf("second message %q: the repeat was not dropped", aws.ToString(m.Body))
	}
}

// The request for a FIFO queue groups by source and deduplicates by event
// id; a standard queue's has neither.
func TestSQSInput(t *testing.T) {
	t.Parallel()
	ev := testEvent([]byte("{}"))
	d := testDelivery(ev)
	for _, tc := range []struct {
		url          string
		group, dedup *string
	}{
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/hooks", nil, nil},
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/hooks.fifo", aws.String("github"), aws.String(ev.ID)},
	} {
		s, err := NewSQS(SQSConfig{QueueURL: tc.url, Headers: map[string]string{"X-Team": "core"}})
		if err != nil {
			t.Fatal(err)
		}
		in := s.input(t.Context(), ev, d)
		if diff := cmp.Diff(tc.group, in.MessageGroupId); diff != "" {
			t.Errorf("%s: MessageGroupId (-want +got):\n%s", tc.url, diff)
		}
		if diff := cmp.Diff(tc.dedup, in.MessageDeduplicationId); diff != "" {
			t.Errorf("%s: MessageDeduplicationId (-want +got):\n%s", tc.url, diff)
		}
		attrs := map[string]string{}
		for k, v := range in.MessageAttributes {
			if aws.ToString(v.DataType) != "String" {
				t.Errorf("attribute %s has type %q, want String", k, aws.ToString(v.DataType))
			}
			attrs[k] = aws.ToString(v.StringValue)
		}
		if diff := cmp.Diff(wantHeaders(ev, d), attrs); diff != "" {
			t.Errorf("%s: attributes (-want +got):\n%s", tc.url, diff)
		}
		if aws.ToString(in.MessageBody) != "{}" || aws.ToString(in.QueueUrl) != tc.url {
			t.Errorf("body %q, queue %q", aws.ToString(in.MessageBody), aws.ToString(in.QueueUrl))
		}
	}
}

func TestSQSEmptyBody(t *testing.T) {
	t.Parallel()
	s, err := NewSQS(SQSConfig{QueueURL: "https://sqs.eu-west-1.amazonaws.com/1/q"})
	if err != nil {
		t.Fatal(err)
	}
	ev := testEvent(nil)
	if r := s.Deliver(t.Context(), ev, testDelivery(ev)); r.Status != 400 || deliver.Classify(r) != deliver.Permanent {
		t.Errorf("Deliver of an empty body = %+v, want a permanent 400", r)
	}
}

func TestSQSBody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		encoded bool
	}{
		{`{"a":"é ✓ 😀"}`, false},
		{"tab\tnewline\ncr\r", false},
		{"nul\x00", true},
		{"bell\x07", true},
		{"\xff\xfe", true},
		{"\uFFFE", true},
		{"\U0010FFFF", false},
	} {
		got, encoded := sqsBody([]byte(tc.in))
		want := tc.in
		if tc.encoded {
			want = base64.StdEncoding.EncodeToString([]byte(tc.in))
		}
		if got != want || encoded != tc.encoded {
			t.Errorf("sqsBody(%q) = %q, %t; want %q, %t", tc.in, got, encoded, want, tc.encoded)
		}
	}
}

func TestSQSRegion(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]string{
		"sqs.eu-west-1.amazonaws.com":         "eu-west-1",
		"sqs.cn-north-1.amazonaws.com.cn":     "cn-north-1",
		"us-east-2.queue.amazonaws.com":       "us-east-2",
		"vpce-1.sqs.us-east-1.vpce.amazonaws": "",
		"127.0.0.1:9324":                      "",
	} {
		if got := regionOf(host); got != want {
			t.Errorf("regionOf(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestNewSQSErrors(t *testing.T) {
	t.Parallel()
	const q = "https://sqs.us-east-1.amazonaws.com/1/q"
	for _, tc := range []struct {
		name string
		cfg  SQSConfig
		want string
	}{
		{"no url", SQSConfig{}, "queue_url:"},
		{"no path", SQSConfig{QueueURL: "https://sqs.us-east-1.amazonaws.com/"}, "queue_url:"},
		{"endpoint", SQSConfig{QueueURL: q, Endpoint: "localhost:9324"}, "endpoint:"},
		{"half the keys", SQSConfig{QueueURL: q, AccessKeyID: "a"}, "set both or neither"},
		{"too many headers", SQSConfig{QueueURL: q, Headers: map[string]string{"A": "1", "B": "2", "C": "3", "D": "4"}}, "at most 3"},
		{"header name", SQSConfig{QueueURL: q, Headers: map[string]string{"X!": "1"}}, "letters, digits"},
		{"reserved prefix", SQSConfig{QueueURL: q, Headers: map[string]string{"AWS.x": "1"}}, "reserves"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSQS(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewSQS = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
