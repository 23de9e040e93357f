package ui

import (
	"net/http"
	"strings"
)

// maxForm bounds the body of a POSTed form.
const maxForm = 64 << 10

// csp is the Content-Security-Policy of every answer: scripts, styles and
// images from /ui itself only, nothing inline, no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the security headers every answer carries.
func secure(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// handlerFunc is a handler that needs the caller's session.
type handlerFunc func(w http.ResponseWriter, r *http.Request, s session)

// page serves h to signed-in callers. Others are sent to the login page,
// except for the script's requests (JSON and fragments), which get 401 so
// the script can send the browser there.
func (u *UI) page(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := u.sessions.open(r)
		if !ok {
			if r.Header.Get("X-Hookgate-UI") != "" {
				http.Error(w, "sign in again", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, s)
	})
}

// form serves h to POSTs from a signed-in caller whose form carries the
// session's CSRF token, and whose session has scope (read or admin).
// Everything else is refused with 403. Cross-origin requests are refused
// before the form is read.
func (u *UI) form(scope string, h handlerFunc) http.Handler {
	check := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		s, ok := u.sessions.open(r)
		if !ok {
			u.errorPage(w, r, http.StatusForbidden, "Sign in first.")
			return
		}
		if !u.sessions.checkCSRF(s.ID, r.PostFormValue("csrf")) {
			u.log.Warn("ui: form without a valid csrf token", "path", r.URL.Path, "user", s.Name)
			u.errorPage(w, r, http.StatusForbidden, "This form has expired or did not come from this page. Go back, reload and try again.")
			return
		}
		if scope == ScopeAdmin && !s.admin() {
			u.errorPageAs(w, r, s, http.StatusForbidden, "This needs a token with admin scope; you signed in with read scope.")
			return
		}
		h(w, r, s)
	})
	return u.sameOrigin(check)
}

// sameOrigin refuses cross-origin browser requests to h with 403 (by
// Sec-Fetch-Site, or Origin against Host; see http.CrossOriginProtection).
// It is a second wall behind the CSRF token.
func (u *UI) sameOrigin(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.errorPage(w, r, http.StatusForbidden, "Cross-origin requests are refused.")
	}))
	return cop.Handler(h)
}

// loginPage shows the login form.
func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := u.sessions.open(r); ok {
		http.Redirect(w, r, "/ui/", http.StatusSeeOther)
		return
	}
	u.renderLogin(w, r, http.StatusOK, "")
}

func (u *UI) renderLogin(w http.ResponseWriter, r *http.Request, status int, problem string) {
	csrf := u.sessions.loginForm(w, r)
	w.Header().Set("Cache-Control", "no-store")
	u.render(w, r, status, "login", view{Title: "Sign in", CSRF: csrf, Data: problem})
}

// login checks the token of the login form and starts a session.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if !u.sessions.checkLogin(r, r.PostFormValue("csrf")) {
		u.errorPage(w, r, http.StatusForbidden, "This login form has expired or did not come from this page. Reload it and try again.")
		return
	}
	name, scope, ok := u.auth(strings.TrimSpace(r.PostFormValue("token")))
	if !ok || (scope != ScopeRead && scope != ScopeAdmin) {
		u.log.Warn("ui: login refused", "remote_addr", r.RemoteAddr)
		u.renderLogin(w, r, http.StatusUnauthorized, "That token is not valid.")
		return
	}
	u.sessions.clearLogin(w, r)
	u.sessions.start(w, r, name, scope)
	u.log.Info("ui: signed in", "user", name, "scope", scope)
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
}

// logout ends the session.
func (u *UI) logout(w http.ResponseWriter, r *http.Request, s session) {
	u.sessions.end(w, r, s)
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}
