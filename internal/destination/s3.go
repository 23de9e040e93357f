package destination

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/hookgate/hookgate/internal/event"
)

// maxMetadata bounds the user metadata of one object, names and values
// together, as S3 does (2 KiB).
const maxMetadata = 2 << 10

// S3Config configures an s3 destination.
type S3Config struct {
	// Bucket receives the objects. Required.
	Bucket string
	// Key is the object key template (see KeyVars and parseKey). Default
	// DefaultS3Key.
	Key string
	// Endpoint is the S3 API's base URL, for S3-compatible stores (MinIO,
	// R2, Ceph, ...), such as "http://127.0.0.1:9000". Default: AWS's
	// endpoint for Region.
	Endpoint string
	// Region is the bucket's region. Default "us-east-1".
	Region string
	// PathStyle addresses the bucket in the path (endpoint/bucket/key)
	// rather than in the host name (bucket.endpoint/key), as most
	// S3-compatible stores need.
	PathStyle bool
	// AccessKeyID, SecretAccessKey and SessionToken (optional) sign the
	// requests. Required: no other credential source is consulted.
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// MetadataHeaders names request headers stored as object metadata
	// (x-amz-meta-<name>), after hookgate-event-id, hookgate-source and
	// hookgate-event-type. Headers with non-ASCII values are left out, and
	// so is whatever would take the metadata past 2 KiB.
	MetadataHeaders []string
	// Timeout bounds one attempt. Zero leaves the bound to the caller's
	// context.
	Timeout time.Duration
	// Network holds TLS and SSRF guard options.
	Network Network
	// HTTPClient sends the requests. Optional (tests); when set, Network
	// must be zero.
	HTTPClient *http.Client
}

// S3 delivers an event by storing its body, byte for byte, as one object
// (PutObject), with the event's Content-Type (application/octet-stream when
// it has none).
//
// The answer maps onto Result like an HTTP destination's: a stored object is
// Status 200 and its "s3://bucket/key" as Response; an error answer keeps
// S3's status and error code (403 AccessDenied and 404 NoSuchBucket are
// permanent; 500 and 503 SlowDown are retried); no answer at all (a down
// endpoint, a timeout) is Err and is retried. The SDK's own retries are off:
// hookgate's retry policy decides.
type S3 struct {
	client   *s3.Client
	bucket   string
	key      keyTemplate
	metadata []string // canonical header names
	timeout  time.Duration
}

var _ Destination = (*S3)(nil)

// NewS3 checks cfg and returns an s3 destination. It makes no request.
func NewS3(cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("bucket: required")
	}
	if cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
		return nil, errors.New("access_key_id and secret_access_key: required")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("timeout %s: must not be negative", cfg.Timeout)
	}
	key, err := parseKey(cmp.Or(cfg.Key, DefaultS3Key))
	if err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	s := &S3{bucket: cfg.Bucket, key: key, timeout: cfg.Timeout}
	for _, h := range cfg.MetadataHeaders {
		if !validToken(h) {
			return nil, fmt.Errorf("metadata_headers: %q: not a valid header name", h)
		}
		s.metadata = append(s.metadata, http.CanonicalHeaderKey(h))
	}
	hc, err := s3HTTPClient(cfg)
	if err != nil {
		return nil, err
	}
	opts := s3.Options{
		Region:       cmp.Or(cfg.Region, "us-east-1"),
		UsePathStyle: cfg.PathStyle,
		Credentials:  staticCredentials(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   hc,
	}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("endpoint %q: want an absolute http or https URL", cfg.Endpoint)
		}
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	s.client = s3.New(opts)
	return s, nil
}

func s3HTTPClient(cfg S3Config) (*http.Client, error) {
	switch {
	case cfg.HTTPClient != nil && !cfg.Network.isZero():
		return nil, errors.New("network options need hookgate's own transport (HTTPClient must be nil)")
	case cfg.HTTPClient != nil:
		return cfg.HTTPClient, nil
	}
	t, err := cfg.Network.transport()
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: t}, nil
}

func staticCredentials(id, secret, token string) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token, Source: "hookgate config"}, nil
	})
}

// Deliver stores ev's body as one object.
func (s *S3) Deliver(ctx context.Context, ev *event.Event, d event.Delivery) Result {
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	key, err := s.key.render(ev, d)
	if err != nil {
		return Result{Err: err}
	}
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(ev.Body),
		ContentLength: aws.Int64(int64(len(ev.Body))),
		ContentType:   aws.String(cmp.Or(ev.ContentType(), "application/octet-stream")),
		Metadata:      s.objectMetadata(ev),
	})
	if err != nil {
		return s.failure(ctx, err)
	}
	return Result{Status: http.StatusOK, Response: []byte("s3://" + s.bucket + "/" + key)}
}

// failure turns a PutObject error into a Result: S3's status and error code
// when it answered, Err when it did not.
func (s *S3) failure(ctx context.Context, err error) Result {
	if re, ok := errors.AsType[*awshttp.ResponseError](err); ok && re.HTTPStatusCode() != 0 {
		msg := re.HTTPStatusCode()
		text := http.StatusText(msg)
		if ae, ok := errors.AsType[smithy.APIError](err); ok {
			text = ae.ErrorCode() + ": " + ae.ErrorMessage()
		}
		return Result{Status: msg, Response: bounded([]byte(text))}
	}
	if ctx.Err() != nil {
		if s.timeout > 0 {
			return Result{Err: fmt.Errorf("timeout: no answer within %s: %w", s.timeout, ctx.Err())}
		}
		return Result{Err: fmt.Errorf("timeout: no answer before the deadline: %w", ctx.Err())}
	}
	// The SDK's message names the operation and the bucket, not the
	// credentials.
	return Result{Err: err}
}

// objectMetadata is the metadata stored with ev's object.
func (s *S3) objectMetadata(ev *event.Event) map[string]string {
	m := map[string]string{}
	size := 0
	add := func(name, v string) {
		name = strings.ToLower(name)
		if v == "" || !printableASCII(v) || size+len(name)+len(v) > maxMetadata {
			return
		}
		if _, dup := m[name]; dup {
			return
		}
		m[name] = v
		size += len(name) + len(v)
	}
	add("hookgate-event-id", ev.ID)
	add("hookgate-source", ev.Source)
	add("hookgate-event-type", ev.Type)
	for _, h := range s.metadata {
		add(h, strings.Join(ev.Header.Values(h), ", "))
	}
	return m
}

func printableASCII(s string) bool {
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func bounded(b []byte) []byte { return b[:min(len(b), MaxResponse)] }
