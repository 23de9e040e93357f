package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/tlsconf"
)

// newHTTPServer is the http.Server of every listener (main, api, ACME's
// http_listen): server.*'s timeouts and header limit, whatever it serves.
// They bound each connection's TLS handshake too (net/http allows the
// smallest of the read and write timeouts for it).
func newHTTPServer(s config.Server, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.ReadHeaderTimeout.D(),
		ReadTimeout:       s.ReadTimeout.D(),
		WriteTimeout:      s.WriteTimeout.D(),
		IdleTimeout:       s.IdleTimeout.D(),
		MaxHeaderBytes:    int(s.MaxHeaderBytes),
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// newTLS builds server.tls, or returns nil when it is not set.
func newTLS(cfg *config.Config, log *slog.Logger) (*tlsconf.TLS, error) {
	if cfg.Server.TLS == nil {
		return nil, nil
	}
	t, err := tlsconf.New(cfg.Server.TLS, tlsconf.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("server.tls: %w", err)
	}
	return t, nil
}

// listen opens a listener on addr, serving TLS when t is not nil (with
// HTTP/2: http.Server speaks it on *tls.Conn that negotiated "h2").
func listen(addr string, t *tlsconf.TLS) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	if t != nil {
		ln = tls.NewListener(ln, t.Config)
	}
	return ln, nil
}

// scheme is what listeners built with t serve.
func scheme(t *tlsconf.TLS) string {
	if t == nil {
		return "http"
	}
	return "https"
}

// startACME gets ACME's certificates in the background (see
// tlsconf.TLS.Prefetch), and serves acme.http_listen when it is set:
// http-01 challenges, and redirects to https on the main listener's port.
// The returned function stops both, waiting at most 5s for a certificate
// still being obtained: nothing is lost by exiting during issuance (the
// cache is written by renaming files into place), and the next start
// begins again.
func startACME(cfg *config.Config, t *tlsconf.TLS, main net.Addr, log *slog.Logger) (stop func(), err error) {
	if t == nil || cfg.Server.TLS.ACME == nil {
		return func() {}, nil
	}
	var srv *http.Server
	served := make(chan struct{})
	if addr := cfg.Server.TLS.ACME.HTTPListen; addr != "" {
		ln, err := listen(addr, nil)
		if err != nil {
			return nil, fmt.Errorf("server.tls.acme.http_listen: %w", err)
		}
		_, port, _ := net.SplitHostPort(main.String())
		srv = newHTTPServer(cfg.Server, t.HTTPHandler(port), log)
		go func() {
			defer close(served)
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				log.Error("acme http listener stopped", "err", err)
			}
		}()
		log.Info("acme http-01 listening", "addr", ln.Addr().String(), "scheme", "http")
	} else {
		close(served)
	}
	fetched := make(chan struct{})
	go func() {
		defer close(fetched)
		t.Prefetch()
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv != nil {
			_ = srv.Shutdown(ctx)
		}
		<-served
		select {
		case <-fetched:
		case <-ctx.Done():
			log.Warn("stopping while an acme certificate is being obtained")
		}
	}, nil
}
