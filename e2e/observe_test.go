package e2e

import (
	"bufio"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// scrapeMetrics fetches the gateway's /metrics and returns every sample as
// `name{label="value",...}` -> value (histograms as _count and _sum).
func scrapeMetrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			slices.Sort(ls)
			key := "{" + strings.Join(ls, ",") + "}"
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[name+key] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[name+key] = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[name+"_count"+key] = float64(m.GetHistogram().GetSampleCount())
				out[name+"_sum"+key] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

// TestMetrics drives accepted, duplicate, bad-signature and unknown-source
// requests and deliveries that succeed, retry and die through the real
// binary, then checks that each counter moved by exactly what was done.
func TestMetrics(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const secret = "metrics-e2e-secret-3f9a"
	ok := &counting{failStatus: http.StatusServiceUnavailable}
	ok.fails.Store(1) // the first attempt fails: one retry
	bad := &counting{failStatus: http.StatusInternalServerError}
	bad.fails.Store(1 << 40)
	cfg := fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
log: { level: debug }
delivery: { poll: 20ms }
sources:
  - { name: orders, provider: hmac, secret: %s, hmac: { header: x-hmac, delivery_id_header: x-id } }
destinations:
  - { name: ok, url: %q, timeout: 2s, retry: { max_attempts: 5, initial: 10ms, max: 50ms } }
  - { name: bad, url: %q, timeout: 2s, retry: { max_attempts: 2, initial: 10ms, max: 50ms } }
routes:
  - { from: [orders], to: [ok, bad] }
`, filepath.Join(dir, "hookgate.db"), secret, serveLocal(t, ok), serveLocal(t, bad))
	g := start(t, writeConfig(t, dir, cfg))
	before := scrapeMetrics(t, g.url("/metrics"))

	send := func(id, sig string, reqID string) (int, *http.Response) {
		req := signed(t, "hmac", secret, g.url("/in/orders"), []byte(`{"id":"`+id+`"}`), http.Header{"X-Id": {id}})
		if sig != "" {
			req.Header.Set("X-Hmac", sig)
		}
		if reqID != "" {
			req.Header.Set("X-Request-Id", reqID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp
	}
	var eventIDs []string
	for i := range 3 {
		req := signed(t, "hmac", secret, g.url("/in/orders"), []byte(fmt.Sprintf(`{"n":%d}`, i)), http.Header{"X-Id": {fmt.Sprintf("d%d", i)}})
		id, state := accepted(t, req)
		if state != "accepted" {
			t.Fatalf("event %d: %s, want accepted", i, state)
		}
		eventIDs = append(eventIDs, id)
	}
	if _, state := accepted(t, signed(t, "hmac", secret, g.url("/in/orders"), []byte(`{"n":0}`), http.Header{"X-Id": {"d0"}})); state != "duplicate" {
		t.Fatalf("resend: %s, want duplicate", state)
	}
	for i := range 2 {
		status, resp := send("bad", "sha256=00", fmt.Sprintf("e2e-bad-sig-%d", i))
		if status != http.StatusUnauthorized {
			t.Fatalf("bad signature: status %d, want 401", status)
		}
		if got := resp.Header.Get("X-Request-Id"); got != fmt.Sprintf("e2e-bad-sig-%d", i) {
			t.Errorf("X-Request-Id answered %q, want the sender's", got)
		}
	}
	if status, _ := do(t, mustRequest(t, http.MethodPost, g.url("/in/nosuch"))); status != http.StatusNotFound {
		t.Fatalf("unknown source: status %d, want 404", status)
	}

	// ok: 1 failure then 3 successes; bad: 2 failures per event, then dead.
	waitFor(t, 20*time.Second, "every attempt", func() bool { return ok.hits.Load() >= 4 && bad.hits.Load() >= 6 })
	want := map[string]float64{
		`hookgate_ingest_requests_total{source="orders",verdict="accepted"}`:      3,
		`hookgate_ingest_requests_total{source="orders",verdict="duplicate"}`:     1,
		`hookgate_ingest_requests_total{source="orders",verdict="rejected"}`:      2,
		`hookgate_ingest_requests_total{source="orders",verdict="unavailable"}`:   0,
		`hookgate_ingest_requests_total{source="orders",verdict="too_large"}`:     0,
		`hookgate_ingest_requests_total{source="",verdict="not_found"}`:           1,
		`hookgate_ingest_duration_seconds_count{source="orders"}`:                 6,
		`hookgate_delivery_attempts_total{destination="ok",outcome="succeeded"}`:  3,
		`hookgate_delivery_attempts_total{destination="ok",outcome="retry"}`:      1,
		`hookgate_delivery_attempts_total{destination="ok",outcome="dead"}`:       0,
		`hookgate_delivery_attempts_total{destination="bad",outcome="succeeded"}`: 0,
		`hookgate_delivery_attempts_total{destination="bad",outcome="retry"}`:     3,
		`hookgate_delivery_attempts_total{destination="bad",outcome="dead"}`:      3,
		`hookgate_delivery_duration_seconds_count{destination="ok"}`:              4,
		`hookgate_delivery_duration_seconds_count{destination="bad"}`:             6,
		`hookgate_dead_letters_total{destination="ok"}`:                           0,
		`hookgate_dead_letters_total{destination="bad"}`:                          3,
	}
	moved := func(after map[string]float64) []string {
		var wrong []string
		for k, w := range want {
			a, okA := after[k]
			if !okA {
				wrong = append(wrong, k+": missing")
				continue
			}
			if d := a - before[k]; d != w {
				wrong = append(wrong, fmt.Sprintf("%s moved by %v, want %v", k, d, w))
			}
		}
		slices.Sort(wrong)
		return wrong
	}
	var after map[string]float64
	deadline := time.Now().Add(10 * time.Second)
	for {
		after = scrapeMetrics(t, g.url("/metrics"))
		wrong := moved(after)
		if len(wrong) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics did not reach the expected values:\n%s", strings.Join(wrong, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Nothing more moves afterwards (no double counting).
	time.Sleep(300 * time.Millisecond)
	after = scrapeMetrics(t, g.url("/metrics"))
	if wrong := moved(after); len(wrong) > 0 {
		t.Errorf("metrics moved again:\n%s", strings.Join(wrong, "\n"))
	}
	if n := after[`hookgate_store_commit_batch_size_count{engine="sqlite"}`] - before[`hookgate_store_commit_batch_size_count{engine="sqlite"}`]; n < 1 {
		t.Errorf("store commits counted: %v, want at least 1", n)
	}
	if after[`hookgate_store_commit_duration_seconds_sum{engine="sqlite"}`] <= 0 {
		t.Error("store commit duration sum is 0")
	}
	if _, ok := after["go_goroutines{}"]; !ok {
		t.Error("go_goroutines missing: no Go collector")
	}
	// Everything ended (succeeded or dead): no backlog. The gauges are
	// cached for a few seconds, so wait for a fresh answer.
	waitFor(t, 15*time.Second, "an empty backlog", func() bool {
		m := scrapeMetrics(t, g.url("/metrics"))
		return m[`hookgate_queue_depth{destination="ok"}`] == 0 && m[`hookgate_queue_depth{destination="bad"}`] == 0 &&
			m[`hookgate_queue_oldest_due_seconds{destination="bad"}`] == 0
	})
	g.stop()

	checkLogIDs(t, g.stderr.String(), eventIDs)
	if strings.Contains(g.stderr.String()+g.stdout.String(), secret) {
		t.Error("the source secret appears in the logs")
	}
}

// checkLogIDs checks that refusals carry the sender's request id, that
// every accepted line carries a request id and its event id, and that
// delivery lines carry the event id.
func checkLogIDs(t *testing.T, logs string, eventIDs []string) {
	t.Helper()
	refused := map[string]bool{}
	acceptedIDs := map[string]bool{}
	delivered := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var l struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
			EventID   string `json:"event_id"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		switch {
		case l.Msg == "refused":
			refused[l.RequestID] = true
		case l.Msg == "accepted":
			if l.RequestID == "" {
				t.Errorf("accepted line without request_id: %s", sc.Text())
			}
			acceptedIDs[l.EventID] = true
		case strings.HasPrefix(l.Msg, "deliver: ") && l.EventID != "":
			delivered[l.EventID] = true
		}
	}
	for _, id := range []string{"e2e-bad-sig-0", "e2e-bad-sig-1"} {
		if !refused[id] {
			t.Errorf("no refused line with request_id %s", id)
		}
	}
	for _, id := range eventIDs {
		if !acceptedIDs[id] {
			t.Errorf("no accepted line with event_id %s", id)
		}
		if !delivered[id] {
			t.Errorf("no delivery line with event_id %s", id)
		}
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// otlpReceiver is a real OTLP/HTTP trace receiver: it decodes the
// protobuf export requests the gateway posts to /v1/traces.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	url   string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", r.export)
	r.url = serveLocal(t, mux)
	return r
}

func (r *otlpReceiver) export(w http.ResponseWriter, req *http.Request) {
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		http.Error(w, "content type "+ct, http.StatusUnsupportedMediaType)
		return
	}
	var ex coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &ex); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	for _, rs := range ex.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			r.spans = append(r.spans, ss.GetSpans()...)
		}
	}
	r.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func (r *otlpReceiver) all() []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...)
}

func spanAttr(s *tracepb.Span, key string) string {
	for _, kv := range s.GetAttributes() {
		if kv.GetKey() == key {
			if v := kv.GetValue(); v.GetStringValue() != "" {
				return v.GetStringValue()
			} else {
				return fmt.Sprint(v.GetIntValue())
			}
		}
	}
	return ""
}

// TestTracing sends a request carrying a traceparent through the real
// binary with tracing on, to a sink that fails the first attempt, and
// checks in a real OTLP/HTTP receiver that the ingest span continues the
// sender's trace, the store span and both attempt spans are its children
// in the same trace, and the sink got a traceparent naming each attempt's
// span.
func TestTracing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rcv := newOTLPReceiver(t)
	s := newSink(t)
	s.failNext = 1
	cfg := fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
delivery: { poll: 20ms }
tracing: { otlp_endpoint: %q, sample_ratio: 1.0, service_name: hookgate-e2e }
sources:
  - { name: orders, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }
destinations:
  - { name: app, url: %q, timeout: 2s, retry: { max_attempts: 5, initial: 10ms, max: 50ms } }
routes:
  - { from: [orders], to: [app] }
`, filepath.Join(dir, "hookgate.db"), strings.TrimSuffix(rcv.url, "/"), s.url)
	g := start(t, writeConfig(t, dir, cfg))

	const senderTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	const senderSpan = "00f067aa0ba902b7"
	req := signed(t, "hmac", "s3cret", g.url("/in/orders"), []byte(`{"traced":true}`),
		http.Header{"Traceparent": {"00-" + senderTrace + "-" + senderSpan + "-01"}})
	eventID, _ := accepted(t, req)
	waitFor(t, 20*time.Second, "the delivery", func() bool { return s.has(eventID) })
	g.stop() // flushes the spans still buffered

	spans := rcv.all()
	var ingestSpan, storeSpan *tracepb.Span
	var attempts []*tracepb.Span
	for _, sp := range spans {
		if hex.EncodeToString(sp.GetTraceId()) != senderTrace {
			continue
		}
		switch {
		case sp.GetKind() == tracepb.Span_SPAN_KIND_SERVER:
			ingestSpan = sp
		case sp.GetName() == "store ingest":
			storeSpan = sp
		case sp.GetKind() == tracepb.Span_SPAN_KIND_CLIENT:
			attempts = append(attempts, sp)
		}
	}
	if ingestSpan == nil || storeSpan == nil || len(attempts) != 2 {
		var names []string
		for _, sp := range spans {
			names = append(names, fmt.Sprintf("%s trace=%x kind=%v", sp.GetName(), sp.GetTraceId(), sp.GetKind()))
		}
		t.Fatalf("in trace %s: ingest span %v, store span %v, %d attempt spans (want 2); all spans:\n%s",
			senderTrace, ingestSpan != nil, storeSpan != nil, len(attempts), strings.Join(names, "\n"))
	}
	if got := hex.EncodeToString(ingestSpan.GetParentSpanId()); got != senderSpan {
		t.Errorf("ingest span's parent %s, want the sender's span %s", got, senderSpan)
	}
	if got := spanAttr(ingestSpan, "hookgate.event_id"); got != eventID {
		t.Errorf("ingest span's event id %q, want %q", got, eventID)
	}
	ingestID := hex.EncodeToString(ingestSpan.GetSpanId())
	if got := hex.EncodeToString(storeSpan.GetParentSpanId()); got != ingestID {
		t.Errorf("store span's parent %s, want the ingest span %s", got, ingestID)
	}
	attemptIDs := map[string]bool{}
	for _, a := range attempts {
		if got := hex.EncodeToString(a.GetParentSpanId()); got != ingestID {
			t.Errorf("attempt span %s: parent %s, want the ingest span %s", a.GetName(), got, ingestID)
		}
		attemptIDs[hex.EncodeToString(a.GetSpanId())] = true
	}
	nums := []string{spanAttr(attempts[0], "hookgate.attempt"), spanAttr(attempts[1], "hookgate.attempt")}
	slices.Sort(nums)
	if fmt.Sprint(nums) != "[1 2]" {
		t.Errorf("attempt numbers %v, want 1 and 2", nums)
	}

	// The sink's request (the second attempt; the first got a 503 before
	// being recorded) carries the attempt span's context.
	got := s.snapshot()
	if len(got) != 1 {
		t.Fatalf("sink recorded %d requests, want 1", len(got))
	}
	tp := got[0].Header.Get("Traceparent")
	parts := strings.Split(tp, "-")
	if len(parts) != 4 || parts[1] != senderTrace || !attemptIDs[parts[2]] {
		t.Errorf("sink got traceparent %q, want trace %s and one of the attempt spans %v", tp, senderTrace, attemptIDs)
	}
}
