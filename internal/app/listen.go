package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/hookgate/hookgate/internal/event"
	listendest "github.com/hookgate/hookgate/internal/listen" // app has a func listen
	"github.com/hookgate/hookgate/internal/store"
)

// listenHub returns the handler of p's listen destinations' streams, nil
// when p has none. A config reload that adds listen destinations must Set
// them on the same hub.
func listenHub(p *Plan, st store.Store, log *slog.Logger) http.Handler {
	ds := listenDestinations(p)
	if len(ds) == 0 {
		return nil
	}
	h := listendest.NewHub(log, backlog(st))
	h.Set(ds...)
	return h
}

// listenDestinations lists p's listen destinations.
func listenDestinations(p *Plan) []*listendest.Destination {
	var ds []*listendest.Destination
	for _, t := range p.Targets {
		if d, ok := t.Destination.(*listendest.Destination); ok {
			ds = append(ds, d)
		}
	}
	return ds
}

// backlog counts a destination's pending deliveries in st.
func backlog(st store.Store) listendest.Backlog {
	return func(ctx context.Context, dest string, limit int) (int, error) {
		ds, err := st.Deliveries(ctx, store.DeliveryFilter{Destination: dest, State: event.Pending, Limit: limit})
		if err != nil {
			return 0, fmt.Errorf("list pending deliveries of %q: %w", dest, err)
		}
		return len(ds), nil
	}
}
