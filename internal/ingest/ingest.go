// Package ingest is hookgate's receive path, in this order: find the source
// (404), read the body within its limit (413, also for chunked bodies; 408
// when it does not arrive within the server's read timeout),
// answer a provider handshake if it is one, check the method (405),
// authenticate the sender (401, 403; see Authenticator), check required
// headers (400), verify the signature (401), each of these refusals being
// recorded, read the provider's event type and delivery id, persist the
// event with one delivery per routed destination (one group-committed
// transaction), and only then acknowledge.
// A store that cannot take the write gets 503 with Retry-After: nothing is
// acknowledged that was not stored.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/reply"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/tracing"
	"github.com/hookgate/hookgate/internal/verify"
)

// Store is what ingest needs of the store.
type Store interface {
	Ingest(ctx context.Context, ev *event.Event, routes []store.Route) (store.IngestResult, error)
	Reject(ctx context.Context, r event.Rejection) error
}

// Source is one configured endpoint, served at /in/{Name}.
type Source struct {
	Name string
	// Provider checks the signature; nil means the source has no signature
	// scheme (it should then have Auth).
	Provider verify.Provider
	// Auth, when not nil, authenticates the sender before the signature is
	// verified.
	Auth Authenticator
	// RequiredHeaders must each be present (and not empty), after Auth.
	RequiredHeaders []string
	// MaxBody is the largest accepted body in bytes.
	MaxBody int64
	// Router says which destinations each event is delivered to, and how.
	// Nil means none: events are stored and not delivered.
	Router Router
}

// Router decides where a source's events go. route.Router implements it.
type Router interface {
	// Routes returns one store.Route per destination ev is owed to (maybe
	// none). It is called concurrently, must not block, and cannot fail: an
	// event that no route takes is still stored. The caller does not modify
	// the result.
	Routes(ev *event.Event) []store.Route
}

// Handler serves /in/{source}. Build it with New.
type Handler struct {
	// sources are the sources by name; SetSources replaces the map whole.
	sources atomic.Pointer[map[string]*Source]
	store   Store
	notify  func()
	now     func() time.Time
	log     *slog.Logger
	obs     Observer
	tracer  trace.Tracer
	ids     *requestIDs
}

// Options are Handler's optional dependencies.
type Options struct {
	// Notify is called after each stored event that is owed to at least
	// one destination, to wake the delivery workers. It must not block.
	Notify func()
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Observer, when set, is told how each request ended (metrics).
	Observer Observer
	// Tracer, when set, traces each request (a server span continuing the
	// sender's traceparent) and its store commit, and stores the request
	// span's traceparent with the event. Nil: no tracing, at no cost.
	Tracer trace.Tracer
}

// New returns a Handler for sources that persists into st.
func New(sources []Source, st Store, o Options) *Handler {
	h := &Handler{
		store:  st,
		notify: o.Notify,
		now:    o.Now,
		log:    o.Logger,
		obs:    o.Observer,
		tracer: o.Tracer,
		ids:    newRequestIDs(),
	}
	h.SetSources(sources)
	if h.notify == nil {
		h.notify = func() {}
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h
}

// Accepted is the JSON answer to a stored (or duplicate) event.
type Accepted struct {
	// ID is hookgate's event id.
	ID string `json:"id"`
	// Status is "accepted", or "duplicate" when the provider's delivery id
	// was already stored (the event is not delivered again).
	Status string `json:"status"`
}

// ServeHTTP implements http.Handler. The source name is the request's
// "source" path value (route pattern /in/{source}). Every answer carries
// the request's id in X-Request-Id, and so does every log line about it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var start time.Time
	if h.obs != nil {
		start = time.Now()
	}
	c := call{h: h, w: w, r: r, id: h.ids.id(r)}
	w.Header()[HeaderRequestID] = []string{c.id}
	if h.tracer != nil {
		c.startSpan(h.tracer)
	}
	source, v := c.serve()
	c.endSpan(source, v)
	if h.obs != nil {
		h.obs.Request(source, v, time.Since(start))
	}
}

// serve answers the request and returns its source's name ("" if none)
// and how it ended.
func (c *call) serve() (string, Verdict) {
	h, w, r := c.h, c.w, c.r
	name := r.PathValue("source")
	src, ok := (*h.sources.Load())[name] // this request keeps src, whatever SetSources does
	if !ok {
		reply.Error(w, http.StatusNotFound, "unknown_source", fmt.Sprintf("no source named %q", name))
		return "", VerdictNotFound
	}
	body, err := readBody(w, r, src.MaxBody)
	if err != nil {
		return src.Name, c.readFailed(src, err)
	}
	req := &verify.Request{Method: r.Method, URL: r.URL, Host: r.Host, Header: r.Header, Body: body, Now: h.now()}
	if resp, ok := src.Provider.Challenge(req); ok {
		h.answerChallenge(w, resp)
		return src.Name, VerdictChallenge
	}
	if allowed := allowedMethods(src.Provider); !slices.Contains(allowed, r.Method) {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		reply.Error(w, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("source %q accepts %s, not %s", name, strings.Join(allowed, " or "), r.Method))
		return src.Name, VerdictMethodNotAllowed
	}
	if v, ok := c.admit(src, body, req.Now); !ok {
		return src.Name, v
	}
	if err := src.Provider.Verify(req); err != nil {
		c.refuse(src, req.Now, err)
		return src.Name, VerdictRejected
	}
	id := src.Provider.Identify(req)
	ev := &event.Event{
		ID:         event.NewID(),
		Source:     src.Name,
		Method:     r.Method,
		Query:      r.URL.RawQuery,
		Header:     r.Header, // net/http builds it for this request alone, and nothing here changes it
		Body:       body,
		ReceivedAt: req.Now,
		Type:       id.Type,
		DeliveryID: id.DeliveryID,
	}
	if c.span != nil {
		ev.TraceParent = tracing.TraceParent(c.span.SpanContext())
	}
	// The write must finish once started even if the client goes away: the
	// ack decision is ours, and a half-known outcome helps nobody.
	var routes []store.Route
	if src.Router != nil {
		routes = src.Router.Routes(ev)
	}
	ctx, span := c.storeSpan(context.WithoutCancel(r.Context()), ev.ID, len(routes))
	res, err := h.store.Ingest(ctx, ev, routes)
	endStoreSpan(span, res.Duplicate, err)
	if err != nil {
		c.logger().Error("store event", "source", src.Name, "event_id", ev.ID, "err", err)
		w.Header().Set("Retry-After", "1")
		reply.Error(w, http.StatusServiceUnavailable, "store_unavailable", "the event could not be stored; retry later")
		return src.Name, VerdictUnavailable
	}
	if c.span != nil {
		c.span.SetAttributes(attribute.String("hookgate.event_id", res.EventID))
	}
	if res.Duplicate {
		c.debug("duplicate", "source", src.Name, "event_id", res.EventID, "delivery_id", ev.DeliveryID)
		if ack := providerAck(src.Provider, req); ack != nil {
			h.answerChallenge(w, ack)
			return src.Name, VerdictDuplicate
		}
		reply.JSON(w, http.StatusOK, Accepted{ID: res.EventID, Status: "duplicate"})
		return src.Name, VerdictDuplicate
	}
	if len(routes) > 0 {
		h.notify() // else no delivery was created, and there is nothing to wake for
	}
	c.debug("accepted", "source", src.Name, "event_id", res.EventID, "type", ev.Type, "delivery_id", ev.DeliveryID)
	if ack := providerAck(src.Provider, req); ack != nil {
		h.answerChallenge(w, ack) // a provider-specific answer, such as Discord's 204
		return src.Name, VerdictAccepted
	}
	reply.JSON(w, http.StatusOK, Accepted{ID: res.EventID, Status: "accepted"})
	return src.Name, VerdictAccepted
}

// readBody reads r's body, refusing more than limit bytes. When the sender
// gave its length, the body is read into one allocation of that size
// (io.ReadAll would grow its buffer from 512 bytes, copying as it goes).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	n := r.ContentLength
	if n <= 0 || n > limit {
		return io.ReadAll(body)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(body, buf); err != nil {
		return nil, err
	}
	// net/http ends the body at its Content-Length; a reader that does
	// not is read to its end like any other.
	var one [1]byte
	m, err := body.Read(one[:])
	switch {
	case m == 0 && err == io.EOF:
		return buf, nil
	case m == 0 && err != nil:
		return nil, err
	}
	rest, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	return append(append(buf, one[:m]...), rest...), nil
}

func (c *call) readFailed(src *Source, err error) Verdict {
	w := c.w
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		c.record(src, c.h.now(), http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", src.MaxBody))
		reply.Error(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the body is larger than this source's limit of %d bytes", src.MaxBody))
		return VerdictTooLarge
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The server's read_timeout passed before the whole body came: a
		// slow (or stalled) client. net/http closes the connection after
		// this answer.
		c.logger().Info("read body timed out", "source", src.Name, "err", err)
		reply.Error(w, http.StatusRequestTimeout, "body_timeout", "the body did not arrive within the server's read timeout")
		return VerdictBodyTimeout
	}
	c.logger().Info("read body", "source", src.Name, "err", err)
	reply.Error(w, http.StatusBadRequest, "bad_body", "the body could not be read")
	return VerdictBadBody
}

func (h *Handler) answerChallenge(w http.ResponseWriter, resp *verify.Response) {
	for k, v := range resp.Header {
		w.Header()[http.CanonicalHeaderKey(k)] = v
	}
	if resp.ContentType != "" {
		w.Header().Set("Content-Type", resp.ContentType)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

func (c *call) refuse(src *Source, now time.Time, err error) {
	reason := "verification failed"
	var f *verify.Failure
	if errors.As(err, &f) {
		reason = f.Reason
	}
	c.record(src, now, http.StatusUnauthorized, reason)
	reply.Error(c.w, http.StatusUnauthorized, "signature_invalid", reason)
}

// record stores a refusal. A refusal that cannot be stored is logged; the
// request is refused either way.
func (c *call) record(src *Source, now time.Time, status int, reason string) {
	rej := event.Rejection{
		ID:         event.NewID(),
		Source:     src.Name,
		ReceivedAt: now,
		Status:     status,
		Reason:     reason,
		RemoteAddr: remoteHost(c.r.RemoteAddr),
	}
	log := c.logger()
	log.Info("refused", "source", src.Name, "status", status, "reason", reason, "remote_addr", rej.RemoteAddr, "rejection_id", rej.ID)
	if err := c.h.store.Reject(context.WithoutCancel(c.r.Context()), rej); err != nil {
		log.Error("record refusal", "source", src.Name, "err", err)
	}
}

func remoteHost(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i > 0 {
		return strings.Trim(addr[:i], "[]")
	}
	return addr
}

// allowedMethods lists the methods events may arrive with: POST, and the
// others a verify.MethodAllower accepts.
func allowedMethods(p verify.Provider) []string {
	a, ok := p.(verify.MethodAllower)
	if !ok {
		return []string{http.MethodPost}
	}
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if a.Allows(m) {
			out = append(out, m)
		}
	}
	return out
}

// providerAck is the provider's own answer to a stored event, or nil.
func providerAck(p verify.Provider, r *verify.Request) *verify.Response {
	if a, ok := p.(verify.Acker); ok {
		return a.Ack(r)
	}
	return nil
}
