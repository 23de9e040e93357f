package ingest

// SetSources makes sources the handler's sources for the requests that
// start from now on; requests already past the source lookup finish with
// the source they found. A name that is gone answers 404. It is safe for
// concurrent use with ServeHTTP, which reads the sources with one atomic
// load and no lock.
func (h *Handler) SetSources(sources []Source) {
	m := make(map[string]*Source, len(sources))
	for _, s := range sources {
		if s.Provider == nil {
			s.Provider = unsigned{}
		}
		m[s.Name] = &s
	}
	h.sources.Store(&m)
}
