package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"time"
)

// view is what every page template gets.
type view struct {
	Title string
	// Nav names the page in the top bar ("feed", "health").
	Nav string
	// Session is the signed-in caller; nil on the login page.
	Session *session
	// CSRF is the token every form of the page carries.
	CSRF string
	// Poll is the script's polling interval in milliseconds.
	Poll int64
	// CSS and JS are the static files' addresses.
	CSS, JS string
	// Now is when the page was rendered.
	Now time.Time
	// Data is the page's own.
	Data any
}

// pageFiles lists each page and the templates it is made of, besides
// layout.html.
var pageFiles = map[string][]string{
	"login":  {"login.html"},
	"error":  {"error.html"},
	"feed":   {"feed.html"},
	"event":  {"event.html", "deliveries.html"},
	"health": {"health.html", "chart.html"},
}

// parsePages parses every page's templates.
func parsePages() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	for name, files := range pageFiles {
		patterns := []string{"templates/layout.html"}
		for _, f := range files {
			patterns = append(patterns, "templates/"+f)
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, patterns...)
		if err != nil {
			return nil, fmt.Errorf("ui: parse %s templates: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"ts":    formatTime,
	"since": since,
	"dur":   formatDuration,
	"size":  formatSize,
}

// formatTime shows t in UTC to the second; "-" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// since shows how long before now t was, rounded for people ("3m12s").
func since(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in " + formatDuration(-d)
	case d < time.Second:
		return "now"
	}
	return formatDuration(d) + " ago"
}

// formatDuration rounds d for people: ms below a second, else seconds,
// minutes and hours.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < 24*time.Hour:
		return d.Round(time.Second).String()
	}
	return fmt.Sprintf("%dd%s", d/(24*time.Hour), (d % (24 * time.Hour)).Round(time.Minute))
}

// formatSize shows n bytes for people.
func formatSize(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// render executes page with v into a buffer first, so a template error
// becomes a clean 500 rather than half a page.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	u.fill(&v)
	var buf bytes.Buffer
	if err := u.pages[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		u.log.Error("ui: render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fill sets the fields of v every page has.
func (u *UI) fill(v *view) {
	v.Poll = u.poll.Milliseconds()
	v.CSS, v.JS = u.static.url("ui.css"), u.static.url("ui.js")
	v.Now = u.now()
	if v.Session != nil {
		v.CSRF = u.sessions.csrf(v.Session.ID)
	}
}

// renderFragment executes one named template of page, alone, with v.
func (u *UI) renderFragment(w http.ResponseWriter, page, name string, v view) {
	u.fill(&v)
	var buf bytes.Buffer
	if err := u.pages[page].ExecuteTemplate(&buf, name, v); err != nil {
		u.log.Error("ui: render", "page", page, "fragment", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// errorPage answers status with a page that says message, as the signed-in
// caller if there is one.
func (u *UI) errorPage(w http.ResponseWriter, r *http.Request, status int, message string) {
	if s, ok := u.sessions.open(r); ok {
		u.errorPageAs(w, r, s, status, message)
		return
	}
	u.render(w, r, status, "error", view{Title: http.StatusText(status), Data: errorData{status, message}})
}

func (u *UI) errorPageAs(w http.ResponseWriter, r *http.Request, s session, status int, message string) {
	u.render(w, r, status, "error", view{Title: http.StatusText(status), Session: &s, Data: errorData{status, message}})
}

// errorData is the error page's.
type errorData struct {
	Status  int
	Message string
}

// storeError logs err and answers 500 (404 for a missing record is the
// caller's to check first).
func (u *UI) storeError(w http.ResponseWriter, r *http.Request, s session, what string, err error) {
	u.log.Error("ui: "+what, "err", err, "path", r.URL.Path)
	u.errorPageAs(w, r, s, http.StatusInternalServerError, "The store could not be read; see the gateway's log.")
}
