// Package ingest is hookgate's receive path, in this order: find the source
// (404), read the body within its limit (413, also for chunked bodies),
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
	"slices"
	"strings"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/reply"
	"github.com/hookgate/hookgate/internal/store"
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
	sources map[string]*Source
	store   Store
	notify  func()
	now     func() time.Time
	log     *slog.Logger
}

// Options are Handler's optional dependencies.
type Options struct {
	// Notify is called after each stored event, to wake the delivery
	// workers. It must not block.
	Notify func()
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// New returns a Handler for sources that persists into st.
func New(sources []Source, st Store, o Options) *Handler {
	h := &Handler{
		sources: make(map[string]*Source, len(sources)),
		store:   st,
		notify:  o.Notify,
		now:     o.Now,
		log:     o.Logger,
	}
	for _, s := range sources {
		if s.Provider == nil {
			s.Provider = unsigned{}
		}
		h.sources[s.Name] = &s
	}
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
// "source" path value (route pattern /in/{source}).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("source")
	src, ok := h.sources[name]
	if !ok {
		reply.Error(w, http.StatusNotFound, "unknown_source", fmt.Sprintf("no source named %q", name))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, src.MaxBody))
	if err != nil {
		h.readFailed(w, r, src, err)
		return
	}
	req := &verify.Request{Method: r.Method, URL: r.URL, Host: r.Host, Header: r.Header, Body: body, Now: h.now()}
	if resp, ok := src.Provider.Challenge(req); ok {
		h.answerChallenge(w, resp)
		return
	}
	if allowed := allowedMethods(src.Provider); !slices.Contains(allowed, r.Method) {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		reply.Error(w, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("source %q accepts %s, not %s", name, strings.Join(allowed, " or "), r.Method))
		return
	}
	if !h.admit(w, r, src, body, req.Now) {
		return
	}
	if err := src.Provider.Verify(req); err != nil {
		h.refuse(w, r, src, req.Now, err)
		return
	}
	id := src.Provider.Identify(req)
	ev := &event.Event{
		ID:         event.NewID(),
		Source:     src.Name,
		Method:     r.Method,
		Query:      r.URL.RawQuery,
		Header:     r.Header.Clone(),
		Body:       body,
		ReceivedAt: req.Now,
		Type:       id.Type,
		DeliveryID: id.DeliveryID,
	}
	// The write must finish once started even if the client goes away: the
	// ack decision is ours, and a half-known outcome helps nobody.
	var routes []store.Route
	if src.Router != nil {
		routes = src.Router.Routes(ev)
	}
	res, err := h.store.Ingest(context.WithoutCancel(r.Context()), ev, routes)
	if err != nil {
		h.log.Error("store event", "source", src.Name, "err", err)
		w.Header().Set("Retry-After", "1")
		reply.Error(w, http.StatusServiceUnavailable, "store_unavailable", "the event could not be stored; retry later")
		return
	}
	if res.Duplicate {
		h.log.Debug("duplicate", "source", src.Name, "event_id", res.EventID, "delivery_id", ev.DeliveryID)
		if ack := providerAck(src.Provider, req); ack != nil {
			h.answerChallenge(w, ack)
			return
		}
		reply.JSON(w, http.StatusOK, Accepted{ID: res.EventID, Status: "duplicate"})
		return
	}
	h.notify()
	h.log.Debug("accepted", "source", src.Name, "event_id", res.EventID, "type", ev.Type, "delivery_id", ev.DeliveryID)
	if ack := providerAck(src.Provider, req); ack != nil {
		h.answerChallenge(w, ack) // a provider-specific answer, such as Discord's 204
		return
	}
	reply.JSON(w, http.StatusOK, Accepted{ID: res.EventID, Status: "accepted"})
}

func (h *Handler) readFailed(w http.ResponseWriter, r *http.Request, src *Source, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		h.record(r, src, h.now(), http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", src.MaxBody))
		reply.Error(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the body is larger than this source's limit of %d bytes", src.MaxBody))
		return
	}
	h.log.Info("read body", "source", src.Name, "err", err)
	reply.Error(w, http.StatusBadRequest, "bad_body", "the body could not be read")
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

func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, src *Source, now time.Time, err error) {
	reason := "verification failed"
	var f *verify.Failure
	if errors.As(err, &f) {
		reason = f.Reason
	}
	h.record(r, src, now, http.StatusUnauthorized, reason)
	reply.Error(w, http.StatusUnauthorized, "signature_invalid", reason)
}

// record stores a refusal. A refusal that cannot be stored is logged; the
// request is refused either way.
func (h *Handler) record(r *http.Request, src *Source, now time.Time, status int, reason string) {
	rej := event.Rejection{
		ID:         event.NewID(),
		Source:     src.Name,
		ReceivedAt: now,
		Status:     status,
		Reason:     reason,
		RemoteAddr: remoteHost(r.RemoteAddr),
	}
	h.log.Info("refused", "source", src.Name, "status", status, "reason", reason, "remote_addr", rej.RemoteAddr)
	if err := h.store.Reject(context.WithoutCancel(r.Context()), rej); err != nil {
		h.log.Error("record refusal", "source", src.Name, "err", err)
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
