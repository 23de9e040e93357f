package queue

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
)

// HeaderBodyEncoding is the SQS message attribute that says how the body
// was encoded, when it had to be: "base64".
const HeaderBodyEncoding = "Hookgate-Body-Encoding"

// sqsMaxAttributes is SQS's limit on message attributes; hookgate's own
// take up to sqsOwnAttributes of them.
const (
	sqsMaxAttributes = 10
	sqsOwnAttributes = 7
)

// SQSConfig configures an Amazon SQS destination.
type SQSConfig struct {
	// QueueURL is the queue's URL, as SQS gives it:
	// https://sqs.REGION.amazonaws.com/ACCOUNT/NAME. A name ending in
	// ".fifo" is a FIFO queue. Required.
	QueueURL string
	// Region is the queue's AWS region. Default: the one in QueueURL, else
	// the SDK's (AWS_REGION, the shared config file).
	Region string
	// Endpoint replaces the SQS endpoint, for SQS-compatible servers and
	// VPC endpoints. Optional.
	Endpoint string
	// AccessKeyID and SecretAccessKey are static credentials, both or
	// neither. Without them the SDK's default chain is used (environment,
	// shared files, IAM roles for tasks and instances).
	AccessKeyID     string
	SecretAccessKey string
	// Headers become message attributes. SQS allows 10 attributes a
	// message and hookgate uses up to 7, so at most 3.
	Headers map[string]string
}

// SQS sends events to an Amazon SQS queue (SendMessage). The metadata
// (package doc) become String message attributes; SQS chooses the message
// id, which is in the attempt's Response ("message 3f1c..."). On a FIFO
// queue, MessageGroupId is the event's source (events from one source stay
// in order) and MessageDeduplicationId the event id (SQS drops a repeat
// within five minutes).
//
// SQS takes text only: a body that is valid UTF-8 made of the characters SQS
// allows is sent as it is; any other body is sent base64-encoded, with the
// attribute Hookgate-Body-Encoding: base64. SQS refuses empty messages, so
// an empty body is a permanent failure.
//
// The SDK's client is made on first use; it keeps HTTP connections open and
// is safe for concurrent use. It does not retry by itself: the worker does.
type SQS struct {
	queueURL string
	fifo     bool
	region   string
	endpoint string
	creds    aws.CredentialsProvider // nil: the default chain
	headers  []header
	http     *awshttp.BuildableClient
	// options adjust the client (tests: the protocol their server speaks).
	options []func(*sqs.Options)

	mu     sync.Mutex
	client *sqs.Client
	closed bool

	// transports are the HTTP transports the SDK built, for Close.
	tmu        sync.Mutex
	transports []*http.Transport
}

var _ destination.Destination = (*SQS)(nil)

// sqsAttributeRE is what SQS allows as an attribute name (besides the
// rules on dots and reserved prefixes, checked apart).
var sqsAttributeRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

// NewSQS checks cfg and returns an SQS destination. It does not connect,
// nor read the SDK's shared config files.
func NewSQS(cfg SQSConfig) (*SQS, error) {
	u, err := url.Parse(cfg.QueueURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return nil, errors.New("queue_url: want the queue's URL, https://sqs.REGION.amazonaws.com/ACCOUNT/NAME")
	}
	if cfg.Endpoint != "" {
		e, err := url.Parse(cfg.Endpoint)
		if err != nil || (e.Scheme != "https" && e.Scheme != "http") || e.Host == "" {
			return nil, errors.New("endpoint: want an absolute http or https URL")
		}
	}
	if (cfg.AccessKeyID == "") != (cfg.SecretAccessKey == "") {
		return nil, errors.New("access_key_id and secret_access_key: set both or neither")
	}
	if len(cfg.Headers) > sqsMaxAttributes-sqsOwnAttributes {
		return nil, fmt.Errorf("headers: at most %d (SQS allows %d message attributes, and hookgate uses %d)",
			sqsMaxAttributes-sqsOwnAttributes, sqsMaxAttributes, sqsOwnAttributes)
	}
	headers, err := staticHeaders(cfg.Headers)
	if err != nil {
		return nil, err
	}
	for _, h := range headers {
		if err := checkAttributeName(h.name); err != nil {
			return nil, fmt.Errorf("header %q: %w", h.name, err)
		}
	}
	s := &SQS{
		queueURL: cfg.QueueURL,
		fifo:     strings.HasSuffix(u.Path, ".fifo"),
		region:   cfg.Region,
		endpoint: cfg.Endpoint,
		headers:  headers,
	}
	// The SDK's own client, which honours AWS_CA_BUNDLE and the like; the
	// option records each transport it builds, so Close can close their
	// idle connections.
	s.http = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		s.tmu.Lock()
		s.transports = append(s.transports, t)
		s.tmu.Unlock()
	})
	if s.region == "" {
		s.region = regionOf(u.Host)
	}
	if cfg.AccessKeyID != "" {
		s.creds = credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")
	}
	return s, nil
}

// regionOf finds the region in an SQS host name: sqs.REGION.amazonaws.com
// (or .amazonaws.com.cn), or the legacy REGION.queue.amazonaws.com.
func regionOf(host string) string {
	labels := strings.Split(strings.ToLower(host), ".")
	switch {
	case len(labels) >= 4 && labels[0] == "sqs" && labels[2] == "amazonaws":
		return labels[1]
	case len(labels) >= 4 && labels[1] == "queue" && labels[2] == "amazonaws":
		return labels[0]
	}
	return ""
}

func checkAttributeName(name string) error {
	lower := strings.ToLower(name)
	switch {
	case !sqsAttributeRE.MatchString(name):
		return errors.New("SQS attribute names are letters, digits, '-', '_' and '.'")
	case strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon."):
		return errors.New("SQS reserves names starting with AWS. and Amazon.")
	case strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, ".."):
		return errors.New("SQS attribute names must not start or end with '.', nor hold \"..\"")
	}
	return nil
}

// Deliver sends ev to the queue.
func (s *SQS) Deliver(ctx context.Context, ev *event.Event, d event.Delivery) destination.Result {
	if len(ev.Body) == 0 {
		return rejected(400, "SQS refuses empty messages, and this event has an empty body")
	}
	client, err := s.api(ctx)
	if err != nil {
		return failed(err)
	}
	out, err := client.SendMessage(ctx, s.input(ctx, ev, d))
	if err != nil {
		return s.failure(err)
	}
	return accepted("message %s", aws.ToString(out.MessageId))
}

// input is the SendMessage request for ev, with the trace context of ctx in
// its attributes.
func (s *SQS) input(ctx context.Context, ev *event.Event, d event.Delivery) *sqs.SendMessageInput {
	body, encoded := sqsBody(ev.Body)
	meta := withTrace(ctx, metadata(s.headers, ev, d))
	if encoded {
		meta = append(meta, header{HeaderBodyEncoding, "base64"})
	}
	attrs := make(map[string]types.MessageAttributeValue, len(meta))
	for _, h := range meta {
		attrs[h.name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(h.value)}
	}
	in := &sqs.SendMessageInput{
		QueueUrl:          aws.String(s.queueURL),
		MessageBody:       aws.String(body),
		MessageAttributes: attrs,
	}
	if s.fifo {
		in.MessageGroupId = aws.String(ev.Source)
		in.MessageDeduplicationId = aws.String(ev.ID)
	}
	return in
}

// sqsBody returns b as SQS can take it, and whether it had to be encoded.
// SQS allows valid UTF-8 made of #x9 #xA #xD, #x20 to #xD7FF, #xE000 to
// #xFFFD and #x10000 to #x10FFFF.
func sqsBody(b []byte) (string, bool) {
	ok := utf8.Valid(b)
	for i := 0; ok && i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		ok = r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) ||
			(r >= 0xE000 && r <= 0xFFFD) || r >= 0x10000
		i += n
	}
	if ok {
		return string(b), false
	}
	return base64.StdEncoding.EncodeToString(b), true
}

// failure turns a SendMessage error into a result: a message SQS rejects
// for what it is fails for good; anything else can be tried again.
func (s *SQS) failure(err error) destination.Result {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "InvalidMessageContents", "AWS.SimpleQueueService.InvalidMessageContents",
			"InvalidParameterValue", "InvalidAttributeValue", "InvalidAttributeName":
			status := 400
			if strings.Contains(strings.ToLower(ae.ErrorMessage()), "shorter than") {
				status = 413
			}
			return rejected(status, "SQS rejected the message: %s: %s", ae.ErrorCode(), ae.ErrorMessage())
		}
	}
	return failed(fmt.Errorf("send message: %w", err))
}

// api returns the SQS client, making it on first use.
func (s *SQS) api(ctx context.Context) (*sqs.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, errClosed
	case s.client != nil:
		return s.client, nil
	}
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(s.region),
		awsconfig.WithHTTPClient(s.http),
		awsconfig.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
	}
	if s.creds != nil {
		opts = append(opts, awsconfig.WithCredentialsProvider(s.creds))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region: set region (it is not in queue_url), or AWS_REGION")
	}
	s.client = sqs.NewFromConfig(cfg, append([]func(*sqs.Options){func(o *sqs.Options) {
		if s.endpoint != "" {
			o.BaseEndpoint = aws.String(s.endpoint)
		}
	}}, s.options...)...)
	return s.client, nil
}

// Close closes idle connections. Deliveries after Close fail.
func (s *SQS) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.tmu.Lock()
	defer s.tmu.Unlock()
	for _, t := range s.transports {
		t.CloseIdleConnections()
	}
	return nil
}
