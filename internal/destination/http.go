package destination

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/propagation"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/tracing"
)

// drainLimit bounds how much of an answer past MaxResponse is read and
// thrown away so the connection can be reused. A longer answer closes the
// connection instead.
const drainLimit = 64 << 10

// Headers hookgate sets on every forwarded request. Static headers from the
// configuration cannot replace them.
const (
	// HeaderWebhookID carries the event id: the same on every attempt and for
	// every destination, so receivers can drop duplicates (the Standard
	// Webhooks "webhook-id").
	HeaderWebhookID = "Webhook-Id"
	// HeaderSource names the source the event came in on.
	HeaderSource = "Hookgate-Source"
	// HeaderEventType is the provider's event type, when known.
	HeaderEventType = "Hookgate-Event-Type"
	// HeaderDeliveryID is hookgate's delivery id (one per event and
	// destination).
	HeaderDeliveryID = "Hookgate-Delivery-Id"
	// HeaderAttempt counts attempts of this delivery from 1.
	HeaderAttempt = "Hookgate-Attempt"
)

// userAgent is the default User-Agent; static headers may replace it.
const userAgent = "hookgate"

// HTTPConfig configures an HTTP destination.
type HTTPConfig struct {
	// URL is the absolute http or https address requests go to. Required.
	URL string
	// Method is the HTTP method. Default POST.
	Method string
	// Headers are set on every request. They may replace Content-Type and
	// User-Agent, but not Webhook-Id or the Hookgate-* headers. A "Host"
	// entry sets the request's Host.
	Headers map[string]string
	// Timeout bounds one attempt, from dialling to reading the answer.
	// Zero leaves the bound to the caller's context.
	Timeout time.Duration
	// Client sends the requests. Optional; it is copied, not changed, and the
	// copy never follows redirects. Default: a client of its own, over
	// Transport.
	Client *http.Client
	// Transport is used when Client is nil. Default: a clone of
	// http.DefaultTransport that keeps more idle connections per host.
	Transport http.RoundTripper
	// Now is the clock that date-form Retry-After values are measured
	// against, and the signature's timestamp. Default time.Now.
	Now func() time.Time
	// Secret, when set, signs every request with the Standard Webhooks
	// scheme (Webhook-Timestamp, Webhook-Signature; see sign.go). Written
	// as Standard Webhooks secrets are: "whsec_" and base64.
	Secret string
	// Network holds the SSRF guard and TLS options (see network.go). When
	// set, Client and Transport must be nil.
	Network Network
}

// HTTP delivers events by sending them to a URL, body byte for byte with the
// original Content-Type.
//
// Redirects are never followed: a 3xx answer is returned as is, and the
// delivery policy treats it as a permanent failure. A webhook receiver that
// moved must be reconfigured, not chased: following a redirect would re-send
// the body to an address nobody configured (and a 303 would turn it into a
// GET without a body).
type HTTP struct {
	url     string
	method  string
	header  http.Header
	host    string
	timeout time.Duration
	client  *http.Client
	now     func() time.Time
	signer  *webhookSigner
}

var _ Destination = (*HTTP)(nil)

// NewHTTP checks cfg and returns an HTTP destination.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q: want an absolute http or https URL", u.Redacted())
	}
	method := cmp.Or(cfg.Method, http.MethodPost)
	if !validToken(method) {
		return nil, fmt.Errorf("method %q: not a valid HTTP method", method)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("timeout %s: must not be negative", cfg.Timeout)
	}
	if err := cfg.network(); err != nil {
		return nil, err
	}
	h := &HTTP{
		url:     cfg.URL,
		method:  method,
		header:  make(http.Header, len(cfg.Headers)),
		timeout: cfg.Timeout,
		client:  client(cfg),
		now:     cfg.Now,
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.signer, err = newWebhookSigner(cfg.Secret, h.now); err != nil {
		return nil, err
	}
	for k, v := range cfg.Headers {
		if !validToken(k) {
			return nil, fmt.Errorf("header %q: not a valid header name", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, fmt.Errorf("header %q: value must not contain CR, LF or NUL", k)
		}
		if reserved(k) {
			return nil, fmt.Errorf("header %q: set by hookgate, cannot be configured", k)
		}
		if http.CanonicalHeaderKey(k) == "Host" {
			h.host = v
			continue
		}
		h.header.Set(k, v)
	}
	return h, nil
}

// client returns the client cfg asks for, made never to follow redirects.
func client(cfg HTTPConfig) *http.Client {
	var c http.Client
	if cfg.Client != nil {
		c = *cfg.Client
	} else {
		c.Transport = cfg.Transport
		if c.Transport == nil {
			t := http.DefaultTransport.(*http.Transport).Clone()
			t.MaxIdleConnsPerHost = 64
			c.Transport = t
		}
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func reserved(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case HeaderWebhookID, HeaderWebhookTimestamp, HeaderWebhookSignature, HeaderSource, HeaderEventType, HeaderDeliveryID, HeaderAttempt, "Content-Length":
		return true
	}
	return false
}

// Deliver sends ev once. It never returns an error for a status: Status and
// Response hold whatever the destination answered, and Err is set only when
// there was no answer (timeout, refused, reset, ...).
func (h *HTTP) Deliver(ctx context.Context, ev *event.Event, d event.Delivery) Result {
	if h.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.timeout)
		defer cancel()
	}
	body := ev.Body
	if d.Body != nil {
		body = d.Body // a route's transform
	}
	req, err := http.NewRequestWithContext(ctx, h.method, withQuery(h.url, ev.Query), bytes.NewReader(body))
	if err != nil {
		return Result{Err: fmt.Errorf("build request: %w", err)}
	}
	h.setHeaders(req, ev, d)
	// The attempt's span, when tracing is on: the receiver continues the trace.
	tracing.Inject(ctx, propagation.HeaderCarrier(req.Header))
	if err := h.signer.sign(req); err != nil {
		return Result{Err: err}
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return Result{Err: h.describe(ctx, err), Request: sent(req)}
	}
	defer resp.Body.Close()
	// Status is what counts; a body cut short by the deadline still leaves a
	// valid answer, so read errors are ignored.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponse))
	_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
	if len(snippet) == 0 {
		snippet = nil
	}
	ra, _ := ParseRetryAfter(resp.Header.Get("Retry-After"), h.now())
	return Result{Status: resp.StatusCode, Response: snippet, RetryAfter: ra, Request: sent(req), Header: resp.Header}
}

func (h *HTTP) setHeaders(req *http.Request, ev *event.Event, d event.Delivery) {
	if ct := ev.ContentType(); ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	// The body goes out as it came, still compressed if it was: say so,
	// unless a transform replaced it.
	if ce := ev.Header.Get("Content-Encoding"); ce != "" && d.Body == nil {
		req.Header.Set("Content-Encoding", ce)
	}
	req.Header.Set("User-Agent", userAgent)
	for k, vs := range h.header {
		req.Header[k] = vs
	}
	// A route's transform sets its headers over these, but not over
	// hookgate's own.
	for k, vs := range d.Header {
		if !reserved(k) {
			req.Header[http.CanonicalHeaderKey(k)] = vs
		}
	}
	if h.host != "" {
		req.Host = h.host
	}
	req.Header.Set(HeaderWebhookID, ev.ID)
	req.Header.Set(HeaderSource, ev.Source)
	if ev.Type != "" {
		req.Header.Set(HeaderEventType, ev.Type)
	}
	req.Header.Set(HeaderDeliveryID, d.ID)
	req.Header.Set(HeaderAttempt, strconv.Itoa(d.Attempts+1))
}

// describe turns a client error into one fit for the attempt record: the
// cause without the "Post \"https://...\":" prefix, since URLs can carry
// tokens in their query.
func (h *HTTP) describe(ctx context.Context, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded {
		if h.timeout > 0 {
			return fmt.Errorf("timeout: no answer within %s: %w", h.timeout, context.DeadlineExceeded)
		}
		return fmt.Errorf("timeout: no answer before the deadline: %w", context.DeadlineExceeded)
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// ParseRetryAfter reads a Retry-After value, either delta seconds ("120") or
// an HTTP date, as a wait from now. A date in the past is a zero wait. It
// reports false when v is empty or malformed.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			if ne, ok := errors.AsType[*strconv.NumError](err); ok && ne.Err == strconv.ErrRange && allDigits(v) {
				return math.MaxInt64, true
			}
			return 0, false
		}
		if secs > uint64(math.MaxInt64/int64(time.Second)) {
			return math.MaxInt64, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validToken reports whether s is an RFC 9110 token (a method or header
// name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
