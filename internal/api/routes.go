package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/hookgate/hookgate/internal/apitoken"
	"github.com/hookgate/hookgate/internal/reply"
)

// Route is one endpoint of the API.
type Route struct {
	// Method is the HTTP method.
	Method string
	// Path is under Prefix, with {name} wildcards (as in OpenAPI).
	Path string
	// Scope is what the caller's token needs.
	Scope apitoken.Scope

	handle handler
}

// handler serves one route; an error it returns is answered by fail.
type handler func(a *API, w http.ResponseWriter, r *http.Request) error

// table is every route, in the order docs/openapi.yaml lists them.
var table = []Route{
	{"GET", "/sources", apitoken.Read, (*API).listSources},
	{"GET", "/destinations", apitoken.Read, (*API).listDestinations},
	{"POST", "/destinations/{name}/pause", apitoken.Admin, (*API).pauseDestination},
	{"POST", "/destinations/{name}/resume", apitoken.Admin, (*API).resumeDestination},
	{"GET", "/events", apitoken.Read, (*API).listEvents},
	{"GET", "/events/{id}", apitoken.Read, (*API).getEvent},
	{"GET", "/events/{id}/deliveries", apitoken.Read, (*API).eventDeliveries},
	{"POST", "/events/{id}/replay", apitoken.Admin, (*API).replayEvent},
	{"GET", "/deliveries", apitoken.Read, (*API).listDeliveries},
	{"GET", "/deliveries/{id}", apitoken.Read, (*API).getDelivery},
	{"GET", "/deliveries/{id}/attempts", apitoken.Read, (*API).deliveryAttempts},
	{"POST", "/deliveries/{id}/retry", apitoken.Admin, (*API).retryDelivery},
	{"POST", "/deliveries/{id}/discard", apitoken.Admin, (*API).discardDelivery},
	{"GET", "/rejections", apitoken.Read, (*API).listRejections},
	{"GET", "/dead", apitoken.Read, (*API).listDead},
	{"POST", "/dead/retry", apitoken.Admin, (*API).retryDead},
	{"POST", "/replay", apitoken.Admin, (*API).replayMatching},
	{"GET", "/jobs/{id}", apitoken.Read, (*API).getJob},
	{"GET", "/stats", apitoken.Read, (*API).stats},
	{"POST", "/reload", apitoken.Admin, (*API).reload},
}

// Routes lists every route of the API.
func Routes() []Route { return slices.Clone(table) }

// routes registers the table on a new mux, each route behind its token
// check, and answers everything else under Prefix with a JSON 404 or 405.
func (a *API) routes() *http.ServeMux {
	mux := http.NewServeMux()
	paths := http.NewServeMux() // by path alone, to tell 405 from 404
	allowed := map[string][]string{}
	for _, rt := range table {
		mux.Handle(rt.Method+" "+Prefix+rt.Path, a.guard(rt))
		if _, seen := allowed[rt.Path]; !seen {
			paths.Handle(Prefix+rt.Path, http.NotFoundHandler())
		}
		allowed[rt.Path] = append(allowed[rt.Path], rt.Method)
	}
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		if !a.on() {
			a.off(w)
			return
		}
		if _, p := paths.Handler(r); p != "" {
			methods := allowed[strings.TrimPrefix(p, Prefix)]
			w.Header().Set("Allow", strings.Join(methods, ", "))
			reply.Error(w, http.StatusMethodNotAllowed, "method_not_allowed", "use "+strings.Join(methods, " or "))
			return
		}
		reply.Error(w, http.StatusNotFound, "not_found", "no such endpoint; see docs/openapi.yaml")
	})
	return mux
}

// on reports whether any token is configured.
func (a *API) on() bool { return a.d.Tokens.Len() > 0 }

func (a *API) off(w http.ResponseWriter) {
	reply.Error(w, http.StatusNotFound, "api_off",
		"the management API is off: add a token under api.tokens in the config (scope read or admin) and restart")
}

// guard checks the caller's bearer token against rt's scope, then runs
// rt's handler. Admin calls are logged with the token's name.
func (a *API) guard(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.on() {
			a.off(w)
			return
		}
		presented, err := apitoken.Bearer(r.Header)
		if err != nil {
			a.log.Warn("api: unauthenticated request", "method", r.Method, "path", r.URL.Path, "remote_addr", r.RemoteAddr, "reason", err.Error())
			challenge := `Bearer realm="hookgate"`
			if err != apitoken.ErrNoToken {
				challenge += `, error="invalid_request"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
			reply.Error(w, http.StatusUnauthorized, "unauthorized", "send Authorization: Bearer <token> with a token from api.tokens")
			return
		}
		tok, ok := a.d.Tokens.Lookup(presented)
		if !ok {
			a.log.Warn("api: unknown token", "method", r.Method, "path", r.URL.Path, "remote_addr", r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="hookgate", error="invalid_token"`)
			reply.Error(w, http.StatusUnauthorized, "invalid_token", "unknown token")
			return
		}
		if !tok.Scope.Allows(rt.Scope) {
			a.log.Warn("api: token lacks scope", "token", tok.Name, "method", r.Method, "path", r.URL.Path, "scope", rt.Scope.String())
			w.Header().Set("WWW-Authenticate", `Bearer realm="hookgate", error="insufficient_scope", scope="`+rt.Scope.String()+`"`)
			reply.Error(w, http.StatusForbidden, "forbidden", "this needs a token of scope "+rt.Scope.String()+"; token "+tok.Name+" has scope "+tok.Scope.String())
			return
		}
		if rt.Method != http.MethodGet {
			a.log.Info("api: action", "token", tok.Name, "method", r.Method, "path", r.URL.Path)
		}
		if err := rt.handle(a, w, r); err != nil {
			a.fail(w, r, err)
		}
	})
}
