package relay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/listen"
)

// HeaderEventID carries hookgate's event id on each forwarded request, the
// same on every attempt, so that the local app can spot a repeat. The
// provider's own headers (Webhook-Id among them) are left as they were,
// so that the app's signature checks see what the provider signed.
const HeaderEventID = "Hookgate-Event-Id"

// maxShown caps the answer's body kept for showing (the report carries at
// most destination.MaxResponse of it).
const maxShown = 64 << 10

// hopByHop are the headers of one connection, not forwarded.
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", "Host"}

// Exchange is one request forwarded to the local app and what came of it.
type Exchange struct {
	// URL, Method, Header and Body are what was sent.
	URL    string
	Method string
	Header http.Header
	Body   []byte
	// Status, RespHeader and RespBody (at most 64 KiB) are the answer; Err
	// says why there was none.
	Status     int
	RespHeader http.Header
	RespBody   []byte
	Latency    time.Duration
	Err        string
}

// Report is x as the gateway's report on ev.
func (x *Exchange) Report(ev *listen.Event) listen.Report {
	return listen.Report{
		DeliveryID: ev.DeliveryID, Attempt: ev.Attempt, URL: x.URL,
		Status: x.Status, Header: x.RespHeader, Body: x.RespBody[:min(len(x.RespBody), destination.MaxResponse)],
		LatencyMS: float64(x.Latency.Microseconds()) / 1000, Error: x.Err,
	}
}

// request builds the request ev makes to the local URL to: the original
// method, query (added to to's own), headers and body, plus hookgate's
// Hookgate-* headers.
func request(to string, ev *listen.Event) (*Exchange, error) {
	u, err := url.Parse(to)
	if err != nil {
		return nil, fmt.Errorf("--to: %w", err)
	}
	if ev.Query != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += ev.Query
	}
	h := ev.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	for _, k := range hopByHop {
		h.Del(k)
	}
	h.Set(HeaderEventID, ev.ID)
	h.Set(destination.HeaderDeliveryID, ev.DeliveryID)
	h.Set(destination.HeaderAttempt, strconv.Itoa(ev.Attempt))
	h.Set(destination.HeaderSource, ev.Source)
	if ev.Type != "" {
		h.Set(destination.HeaderEventType, ev.Type)
	}
	method := ev.Method
	if method == "" {
		method = http.MethodPost
	}
	return &Exchange{URL: u.String(), Method: method, Header: h, Body: ev.Body}, nil
}

// send makes x's request with client within timeout and fills in the
// answer, or why there was none.
func send(ctx context.Context, client *http.Client, x *Exchange, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	x.Status, x.RespHeader, x.RespBody, x.Err = 0, nil, nil, ""
	req, err := http.NewRequestWithContext(ctx, x.Method, x.URL, bytes.NewReader(x.Body))
	if err != nil {
		x.Err = fmt.Sprintf("build request: %v", err)
		return
	}
	req.Header = x.Header.Clone()
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		x.Latency = time.Since(start)
		x.Err = describe(err, req.URL, timeout)
		return
	}
	defer resp.Body.Close()
	x.RespBody, _ = io.ReadAll(io.LimitReader(resp.Body, maxShown))
	x.Latency = time.Since(start)
	x.Status, x.RespHeader = resp.StatusCode, resp.Header
}

// describe says why the local app gave no answer, in words a developer
// acts on.
func describe(err error, u *url.URL, timeout time.Duration) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("connection refused: nothing listens on %s (is the app running?)", u.Host)
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("timeout: no answer within %s", timeout)
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "connection reset: the app closed the connection without answering"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
