package api

import (
	"encoding/base64"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/internal/store"
)

// The types below are the API's JSON shapes; docs/openapi.yaml describes
// each under components.schemas with the same name. Times are RFC 3339 in
// UTC; a time that never happened is left out.

// EventSummary is one event in a listing.
type EventSummary struct {
	ID         string    `json:"id"`
	Source     string    `json:"source"`
	Type       string    `json:"type,omitempty"`
	DeliveryID string    `json:"delivery_id,omitempty"`
	Method     string    `json:"method"`
	ReceivedAt time.Time `json:"received_at"`
	Size       int       `json:"size"`
	// Deliveries counts the event's deliveries by state.
	Deliveries map[event.State]int `json:"deliveries"`
}

// EventPage is a page of events, newest first.
type EventPage struct {
	Events []EventSummary `json:"events"`
	// Next is the cursor of the next page; empty on the last.
	Next string `json:"next,omitempty"`
}

// Event is one event with its request.
type Event struct {
	ID         string    `json:"id"`
	Source     string    `json:"source"`
	Type       string    `json:"type,omitempty"`
	DeliveryID string    `json:"delivery_id,omitempty"`
	Method     string    `json:"method"`
	Query      string    `json:"query,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	Size       int       `json:"size"`
	// Headers are as received, with credentials and signatures redacted.
	Headers http.Header `json:"headers"`
	Body
}

// Body is a body as text when it is UTF-8, else base64.
type Body struct {
	Body string `json:"body"`
	// BodyEncoding is "utf-8" or "base64".
	BodyEncoding string `json:"body_encoding"`
}

func bodyOf(b []byte) Body {
	if utf8.Valid(b) {
		return Body{Body: string(b), BodyEncoding: "utf-8"}
	}
	return Body{Body: base64.StdEncoding.EncodeToString(b), BodyEncoding: "base64"}
}

// Delivery is what hookgate owes one destination for one event.
type Delivery struct {
	ID          string      `json:"id"`
	EventID     string      `json:"event_id"`
	Destination string      `json:"destination"`
	State       event.State `json:"state"`
	Attempts    int         `json:"attempts"`
	// AttemptBase is how many of Attempts came before the last retry by
	// hand.
	AttemptBase int        `json:"attempt_base"`
	RetriedAt   *time.Time `json:"retried_at,omitempty"`
	// NextAt is when a pending delivery is next due (while Leased, when
	// its lease expires).
	NextAt      *time.Time `json:"next_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	LastError   string     `json:"last_error,omitempty"`
	Leased      bool       `json:"leased"`
	OrderingKey string     `json:"ordering_key,omitempty"`
	// Transform is the body and headers a route's transform sends instead
	// of the event's; only in GET /deliveries/{id}, and only when set.
	Transform *Transform `json:"transform,omitempty"`
}

// Transform is a delivery's own body and headers.
type Transform struct {
	Headers http.Header `json:"headers,omitempty"`
	*Body
}

// DeliveryList is a list of deliveries.
type DeliveryList struct {
	Deliveries []Delivery `json:"deliveries"`
	// Next, on GET /dead, is the cursor of the next page.
	Next string `json:"next,omitempty"`
}

// Attempt is one try at delivering.
type Attempt struct {
	ID         string      `json:"id"`
	DeliveryID string      `json:"delivery_id"`
	N          int         `json:"n"`
	StartedAt  time.Time   `json:"started_at"`
	DurationMS float64     `json:"duration_ms"`
	Status     int         `json:"status"`
	Error      string      `json:"error,omitempty"`
	Outcome    event.State `json:"outcome,omitempty"`
	Request    Request     `json:"request"`
	// Response is nil when there was no answer.
	Response *Response `json:"response,omitempty"`
}

// Request is what an attempt sent (never the body).
type Request struct {
	Method  string      `json:"method,omitempty"`
	URL     string      `json:"url,omitempty"`
	Headers http.Header `json:"headers,omitempty"`
}

// Response is what an attempt got back: a bounded snippet of the body.
type Response struct {
	Status  int         `json:"status"`
	Headers http.Header `json:"headers,omitempty"`
	Body
}

// AttemptList is a delivery's attempts, first first.
type AttemptList struct {
	Delivery Delivery  `json:"delivery"`
	Attempts []Attempt `json:"attempts"`
}

// Rejection is a refused request.
type Rejection struct {
	ID         string    `json:"id"`
	Source     string    `json:"source"`
	ReceivedAt time.Time `json:"received_at"`
	Status     int       `json:"status"`
	Reason     string    `json:"reason"`
	RemoteAddr string    `json:"remote_addr,omitempty"`
}

func when(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func eventSummaryView(e store.EventSummary) EventSummary {
	ds := e.Deliveries
	if ds == nil {
		ds = map[event.State]int{}
	}
	return EventSummary{ID: e.ID, Source: e.Source, Type: e.Type, DeliveryID: e.DeliveryID, Method: e.Method,
		ReceivedAt: e.ReceivedAt.UTC(), Size: e.Size, Deliveries: ds}
}

func eventView(e *event.Event) Event {
	h := redact.Header(e.Header)
	if h == nil {
		h = http.Header{}
	}
	return Event{ID: e.ID, Source: e.Source, Type: e.Type, DeliveryID: e.DeliveryID, Method: e.Method,
		Query: redact.Query(e.Query), ReceivedAt: e.ReceivedAt.UTC(), Size: len(e.Body), Headers: h, Body: bodyOf(e.Body)}
}

func deliveryView(d event.Delivery) Delivery {
	v := Delivery{ID: d.ID, EventID: d.EventID, Destination: d.Destination, State: d.State, Attempts: d.Attempts,
		AttemptBase: d.AttemptBase, RetriedAt: when(d.RetriedAt), CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
		LastError: d.LastError, Leased: d.Lease != "", OrderingKey: d.OrderingKey}
	if d.State == event.Pending {
		v.NextAt = when(d.NextAt)
	}
	return v
}

// deliveryDetail is deliveryView with the transform.
func deliveryDetail(d event.Delivery) Delivery {
	v := deliveryView(d)
	if d.Body != nil || d.Header != nil {
		v.Transform = &Transform{Headers: redact.Header(d.Header)}
		if d.Body != nil {
			b := bodyOf(d.Body)
			v.Transform.Body = &b
		}
	}
	return v
}

func deliveryViews(ds []event.Delivery) []Delivery {
	out := make([]Delivery, 0, len(ds))
	for _, d := range ds {
		out = append(out, deliveryView(d))
	}
	return out
}

func attemptView(a event.Attempt) Attempt {
	v := Attempt{ID: a.ID, DeliveryID: a.DeliveryID, N: a.N, StartedAt: a.StartedAt.UTC(),
		DurationMS: float64(a.Duration.Microseconds()) / 1000, Status: a.Status, Error: a.Error, Outcome: a.Outcome,
		Request: Request{Method: a.Request.Method, URL: a.Request.URL, Headers: redact.Header(a.Request.Header)}}
	if a.Status != 0 || a.ResponseHeader != nil || len(a.Response) > 0 {
		v.Response = &Response{Status: a.Status, Headers: redact.Header(a.ResponseHeader), Body: bodyOf(a.Response)}
	}
	return v
}

func rejectionView(r event.Rejection) Rejection {
	return Rejection{ID: r.ID, Source: r.Source, ReceivedAt: r.ReceivedAt.UTC(), Status: r.Status, Reason: r.Reason, RemoteAddr: r.RemoteAddr}
}
