package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/reply"
)

// defaultWindow is how far back counters count when no since is given.
const defaultWindow = 24 * time.Hour

// Source sums up one source.
type Source struct {
	Name string `json:"name"`
	// Configured is false for a source that has records but is no longer
	// in the config.
	Configured bool `json:"configured"`
	// Events and Rejections count since the listing's since.
	Events        int        `json:"events"`
	LastEventAt   *time.Time `json:"last_event_at,omitempty"`
	Rejections    int        `json:"rejections"`
	LastRejection *Rejection `json:"last_rejection,omitempty"`
}

// SourceList is GET /sources's answer.
type SourceList struct {
	Since   time.Time `json:"since"`
	Sources []Source  `json:"sources"`
}

// DestinationView sums up one destination: its flow control on this node
// and its backlog in the store.
type DestinationView struct {
	Name string `json:"name"`
	// Type is empty for a destination no longer configured.
	Type       string `json:"type,omitempty"`
	Configured bool   `json:"configured"`
	// Paused, Circuit and OpenUntil are this node's worker's flow control
	// (a pause is per node, until restart).
	Paused        bool       `json:"paused"`
	Circuit       string     `json:"circuit,omitempty"`
	OpenUntil     *time.Time `json:"open_until,omitempty"`
	Pending       int        `json:"pending"`
	Due           int        `json:"due"`
	OldestDue     *time.Time `json:"oldest_due,omitempty"`
	Dead          int        `json:"dead"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
}

// Stats is GET /stats's answer: totals over every source and destination.
type Stats struct {
	Since        time.Time  `json:"since"`
	Events       int        `json:"events"`
	Rejections   int        `json:"rejections"`
	LastEventAt  *time.Time `json:"last_event_at,omitempty"`
	Sources      int        `json:"sources"`
	Destinations int        `json:"destinations"`
	Pending      int        `json:"pending"`
	Due          int        `json:"due"`
	OldestDue    *time.Time `json:"oldest_due,omitempty"`
	Dead         int        `json:"dead"`
	Paused       int        `json:"paused"`
	OpenCircuits int        `json:"open_circuits"`
	JobsRunning  int        `json:"jobs_running"`
}

// since reads the since parameter, defaultWindow ago when absent.
func (a *API) since(p *params) time.Time {
	t := p.time("since")
	if t.IsZero() {
		t = a.now().Add(-defaultWindow)
	}
	return t.UTC()
}

func (a *API) listSources(w http.ResponseWriter, r *http.Request) error {
	p := queryParams(r)
	since := a.since(p)
	if err := p.done(); err != nil {
		return err
	}
	srcs, err := a.sources(r, since)
	if err != nil {
		return err
	}
	reply.JSON(w, http.StatusOK, SourceList{Since: since, Sources: srcs})
	return nil
}

// sources merges the configured sources with the store's counters, by name.
func (a *API) sources(r *http.Request, since time.Time) ([]Source, error) {
	stats, err := a.d.Store.SourceStats(r.Context(), since)
	if err != nil {
		return nil, fmt.Errorf("source stats: %w", err)
	}
	byName := map[string]*Source{}
	var names []string
	get := func(name string) *Source {
		if s, ok := byName[name]; ok {
			return s
		}
		s := &Source{Name: name}
		byName[name] = s
		names = append(names, name)
		return s
	}
	if a.d.Sources != nil {
		for _, n := range a.d.Sources() {
			get(n).Configured = true
		}
	}
	for _, st := range stats {
		s := get(st.Source)
		s.Events, s.LastEventAt, s.Rejections = st.Events, when(st.LastEventAt), st.Rejections
		if st.LastRejection != nil {
			rj := rejectionView(*st.LastRejection)
			s.LastRejection = &rj
		}
	}
	slices.Sort(names)
	out := make([]Source, 0, len(names))
	for _, n := range names {
		out = append(out, *byName[n])
	}
	return out, nil
}

func (a *API) listDestinations(w http.ResponseWriter, r *http.Request) error {
	if err := queryParams(r).done(); err != nil {
		return err
	}
	ds, err := a.destinationViews(r)
	if err != nil {
		return err
	}
	reply.JSON(w, http.StatusOK, struct {
		Destinations []DestinationView `json:"destinations"`
	}{ds})
	return nil
}

// destinationViews merges the configured destinations, the worker's flow
// state and the store's backlog, by name.
func (a *API) destinationViews(r *http.Request) ([]DestinationView, error) {
	stats, err := a.d.Store.DestinationStats(r.Context(), a.now())
	if err != nil {
		return nil, fmt.Errorf("destination stats: %w", err)
	}
	byName := map[string]*DestinationView{}
	var names []string
	get := func(name string) *DestinationView {
		if d, ok := byName[name]; ok {
			return d
		}
		d := &DestinationView{Name: name}
		byName[name] = d
		names = append(names, name)
		return d
	}
	for _, c := range a.destinations() {
		d := get(c.Name)
		d.Configured, d.Type = true, c.Type
	}
	for _, st := range stats {
		d := get(st.Destination)
		d.Pending, d.Due, d.OldestDue, d.Dead, d.LastSuccessAt = st.Pending, st.Due, when(st.OldestDue), st.Dead, when(st.LastSuccessAt)
	}
	slices.Sort(names)
	out := make([]DestinationView, 0, len(names))
	for _, n := range names {
		d := byName[n]
		if a.d.Flow != nil {
			if fs, err := a.d.Flow.FlowState(n); err == nil {
				d.Paused, d.Circuit, d.OpenUntil = fs.Paused, string(fs.Circuit), when(fs.OpenUntil)
			} else if !errors.Is(err, deliver.ErrUnknownDestination) {
				return nil, fmt.Errorf("flow state of %s: %w", n, err)
			}
		}
		out = append(out, *d)
	}
	return out, nil
}

func (a *API) stats(w http.ResponseWriter, r *http.Request) error {
	p := queryParams(r)
	since := a.since(p)
	if err := p.done(); err != nil {
		return err
	}
	srcs, err := a.sources(r, since)
	if err != nil {
		return err
	}
	dests, err := a.destinationViews(r)
	if err != nil {
		return err
	}
	s := Stats{Since: since, Sources: len(srcs), Destinations: len(dests), JobsRunning: a.jobs.running()}
	for _, src := range srcs {
		s.Events += src.Events
		s.Rejections += src.Rejections
		if src.LastEventAt != nil && (s.LastEventAt == nil || src.LastEventAt.After(*s.LastEventAt)) {
			s.LastEventAt = src.LastEventAt
		}
	}
	for _, d := range dests {
		s.Pending += d.Pending
		s.Due += d.Due
		s.Dead += d.Dead
		if d.Paused {
			s.Paused++
		}
		if d.Circuit == string(deliver.CircuitOpen) {
			s.OpenCircuits++
		}
		if d.OldestDue != nil && (s.OldestDue == nil || d.OldestDue.Before(*s.OldestDue)) {
			s.OldestDue = d.OldestDue
		}
	}
	reply.JSON(w, http.StatusOK, s)
	return nil
}

// flowAction pauses or resumes the {name} destination.
func (a *API) flowAction(w http.ResponseWriter, r *http.Request, act func(string) error) error {
	name := r.PathValue("name")
	if err := queryParams(r).done(); err != nil {
		return err
	}
	if a.d.Flow == nil {
		return &Error{Status: http.StatusNotImplemented, Code: "not_implemented", Message: "this gateway runs no delivery workers"}
	}
	if err := act(name); errors.Is(err, deliver.ErrUnknownDestination) {
		return notFound("no destination named %s on this node", name)
	} else if err != nil {
		return fmt.Errorf("destination %s: %w", name, err)
	}
	fs, err := a.d.Flow.FlowState(name)
	if err != nil {
		return fmt.Errorf("flow state of %s: %w", name, err)
	}
	reply.JSON(w, http.StatusOK, DestinationView{Name: name, Type: a.typeOf(name), Configured: true,
		Paused: fs.Paused, Circuit: string(fs.Circuit), OpenUntil: when(fs.OpenUntil)})
	return nil
}

func (a *API) typeOf(name string) string {
	for _, d := range a.destinations() {
		if d.Name == name {
			return d.Type
		}
	}
	return ""
}

func (a *API) pauseDestination(w http.ResponseWriter, r *http.Request) error {
	return a.flowAction(w, r, func(n string) error { return a.d.Flow.Pause(n) })
}

func (a *API) resumeDestination(w http.ResponseWriter, r *http.Request) error {
	return a.flowAction(w, r, func(n string) error { return a.d.Flow.Resume(n) })
}

// checkDestinations refuses names that are not configured destinations: a
// delivery to one would wait forever.
func (a *API) checkDestinations(field string, names []string) error {
	known := a.destinations()
	var have []string
	for _, d := range known {
		have = append(have, d.Name)
	}
	for i, n := range names {
		switch {
		case n == "":
			return badParam(field, "empty destination name")
		case slices.Contains(names[:i], n):
			return badParam(field, "destination %s listed twice", n)
		case !slices.Contains(have, n):
			return badParam(field, "no destination named %s (have %s)", n, strings.Join(have, ", "))
		}
	}
	return nil
}
