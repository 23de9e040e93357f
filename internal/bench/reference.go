package bench

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// Ceiling returns the HTTP ceiling: a handler that reads the request body,
// throws it away and answers 202 Accepted. See the package documentation.
func Ceiling() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
}

// Serve serves h on a fresh port of 127.0.0.1 and returns its base URL
// ("http://127.0.0.1:port/"). shutdown stops the server, waiting up to five
// seconds for requests in flight, and may be called more than once.
func Serve(h http.Handler) (url string, shutdown func(), err error) {
	return ServeAt("127.0.0.1:0", h)
}

// ServeAt is Serve on the given address.
func ServeAt(addr string, h http.Handler) (url string, shutdown func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("serve reference: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		// A reference server's own errors (a client hanging up at the end
		// of a run) are not what is measured.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) }) // returns ErrServerClosed on shutdown
	var once sync.Once
	shutdown = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				srv.Close()
			}
			wg.Wait()
		})
	}
	return "http://" + ln.Addr().String() + "/", shutdown, nil
}
