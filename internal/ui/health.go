package ui

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/hookgate/hookgate/internal/store"
)

// statsWindow is how far back the health page counts a source's traffic.
const statsWindow = 24 * time.Hour

// healthData is the health page's.
type healthData struct {
	Sources      []store.SourceStats
	Destinations []destinationRow
	// Chart is nil when the UI has no Throughput.
	Chart *chart
}

// destinationRow is a destination's backlog with its flow control state.
type destinationRow struct {
	store.DestinationStats
	// Known is true when the flow state was available: the UI has Flow,
	// and the destination is configured.
	Known   bool
	Paused  bool
	Circuit string
}

// healthPage serves GET /ui/health: sources, destinations and the last
// hour's throughput.
func (u *UI) healthPage(w http.ResponseWriter, r *http.Request, s session) {
	now := u.now()
	ss, err := u.store.SourceStats(r.Context(), now.Add(-statsWindow))
	if err != nil {
		u.storeError(w, r, s, "source stats", err)
		return
	}
	ds, err := u.store.DestinationStats(r.Context(), now)
	if err != nil {
		u.storeError(w, r, s, "destination stats", err)
		return
	}
	d := healthData{Sources: withSources(ss, u.sources)}
	for _, st := range withDestinations(ds, u.dests) {
		row := destinationRow{DestinationStats: st}
		// A destination no longer configured has no flow state.
		if u.flow != nil && (len(u.dests) == 0 || slices.Contains(u.dests, st.Destination)) {
			row.Known = true
			row.Paused, row.Circuit = u.flow(st.Destination)
		}
		d.Destinations = append(d.Destinations, row)
	}
	if u.throughput != nil {
		c := newChart(now, u.throughput(now))
		d.Chart = &c
	}
	u.render(w, r, http.StatusOK, "health", view{Title: "Health", Nav: "health", Session: &s, Data: d})
}

// withSources adds a zero row for each configured source the store has
// nothing of, and sorts by name.
func withSources(ss []store.SourceStats, names []string) []store.SourceStats {
	out := slices.Clone(ss)
	for _, n := range names {
		if !slices.ContainsFunc(ss, func(s store.SourceStats) bool { return s.Source == n }) {
			out = append(out, store.SourceStats{Source: n})
		}
	}
	slices.SortFunc(out, func(a, b store.SourceStats) int { return cmp.Compare(a.Source, b.Source) })
	return out
}

// withDestinations is withSources for destinations.
func withDestinations(ds []store.DestinationStats, names []string) []store.DestinationStats {
	out := slices.Clone(ds)
	for _, n := range names {
		if !slices.ContainsFunc(ds, func(d store.DestinationStats) bool { return d.Destination == n }) {
			out = append(out, store.DestinationStats{Destination: n})
		}
	}
	slices.SortFunc(out, func(a, b store.DestinationStats) int { return cmp.Compare(a.Destination, b.Destination) })
	return out
}
