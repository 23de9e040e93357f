package ui

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/reply"
	"github.com/hookgate/hookgate/internal/store"
)

// feedSize is how many rows the feed shows.
const feedSize = 50

// feedItem is one row of the feed: an accepted event or a refused request.
// The page renders it, and the script renders it from feed.json.
type feedItem struct {
	// Kind is "event" or "rejection".
	Kind   string    `json:"kind"`
	ID     string    `json:"id"`
	At     string    `json:"at"`
	Time   time.Time `json:"time"`
	Source string    `json:"source"`
	// For events.
	Type   string       `json:"type,omitempty"`
	Method string       `json:"method,omitempty"`
	Size   string       `json:"size,omitempty"`
	States []stateCount `json:"states,omitempty"`
	// For rejections.
	Status int    `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
	Remote string `json:"remote,omitempty"`
}

// stateCount is how many of an event's deliveries are in State.
type stateCount struct {
	State event.State `json:"state"`
	N     int         `json:"n"`
}

// stateOrder is the order states are shown in.
var stateOrder = []event.State{event.Pending, event.Dead, event.Succeeded, event.Discarded}

// feedFilter is what the feed's query string selects.
type feedFilter struct {
	Source string
	State  event.State
}

func parseFeedFilter(q url.Values) feedFilter {
	f := feedFilter{Source: q.Get("source")}
	if s := event.State(q.Get("state")); s.Valid() {
		f.State = s
	}
	return f
}

// query returns f as a query string, for the script's feed.json address.
func (f feedFilter) query() string {
	q := url.Values{}
	if f.Source != "" {
		q.Set("source", f.Source)
	}
	if f.State != "" {
		q.Set("state", string(f.State))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// feed reads the newest events and rejections matching f, merged newest
// first. Rejections are left out when f asks for a delivery state (they
// have none).
func (u *UI) feed(ctx context.Context, f feedFilter) ([]feedItem, error) {
	evs, err := u.store.Events(ctx, store.EventQuery{Source: f.Source, State: f.State, Limit: feedSize})
	if err != nil {
		return nil, err
	}
	items := make([]feedItem, 0, feedSize)
	for _, e := range evs {
		items = append(items, eventItem(e))
	}
	if f.State == "" {
		rs, err := u.store.Rejections(ctx, feedSize)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if f.Source == "" || r.Source == f.Source {
				items = append(items, rejectionItem(r))
			}
		}
	}
	slices.SortStableFunc(items, func(a, b feedItem) int {
		return cmp.Or(b.Time.Compare(a.Time), cmp.Compare(b.ID, a.ID))
	})
	return items[:min(len(items), feedSize)], nil
}

func eventItem(e store.EventSummary) feedItem {
	it := feedItem{
		Kind: "event", ID: e.ID, At: formatTime(e.ReceivedAt), Time: e.ReceivedAt, Source: e.Source,
		Type: e.Type, Method: e.Method, Size: formatSize(e.Size),
	}
	for _, s := range stateOrder {
		if n := e.Deliveries[s]; n > 0 {
			it.States = append(it.States, stateCount{s, n})
		}
	}
	return it
}

func rejectionItem(r event.Rejection) feedItem {
	return feedItem{
		Kind: "rejection", ID: r.ID, At: formatTime(r.ReceivedAt), Time: r.ReceivedAt, Source: r.Source,
		Status: r.Status, Reason: r.Reason, Remote: r.RemoteAddr,
	}
}

// feedData is the feed page's.
type feedData struct {
	Items   []feedItem
	Filter  feedFilter
	Src     string
	Sources []string
	States  []event.State
}

// feedPage serves GET /ui/: the newest events and refused requests, kept
// live by the script.
func (u *UI) feedPage(w http.ResponseWriter, r *http.Request, s session) {
	f := parseFeedFilter(r.URL.Query())
	items, err := u.feed(r.Context(), f)
	if err != nil {
		u.storeError(w, r, s, "feed", err)
		return
	}
	u.render(w, r, http.StatusOK, "feed", view{
		Title: "Live feed", Nav: "feed", Session: &s,
		Data: feedData{Items: items, Filter: f, Src: "/ui/feed.json" + f.query(), Sources: u.sources, States: stateOrder},
	})
}

// feedJSON serves GET /ui/feed.json: the feed's rows for the script.
func (u *UI) feedJSON(w http.ResponseWriter, r *http.Request, s session) {
	items, err := u.feed(r.Context(), parseFeedFilter(r.URL.Query()))
	if err != nil {
		u.log.Error("ui: feed", "err", err)
		reply.Error(w, http.StatusInternalServerError, "store", "the store could not be read")
		return
	}
	reply.JSON(w, http.StatusOK, map[string]any{"items": items, "now": formatTime(u.now())})
}
