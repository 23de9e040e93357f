package ui

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
)

func TestEventPageShowsTheRequestRedacted(t *testing.T) {
	t.Parallel()
	tu := newTestUI(t, nil)
	secrets := []string{"sha256=d1e5f00d", "Bearer very-secret", "sid=abc123", "s3cr3t", "key-42"}
	ev := tu.ingest(t, "\x00\x01binary\xff body", http.Header{
		"Content-Type":        {"application/octet-stream"},
		"X-Hub-Signature-256": {secrets[0]},
		"Authorization":       {secrets[1]},
		"Cookie":              {secrets[2]},
		"X-Api-Key":           {secrets[4]},
		"X-Github-Event":      {"push"},
	}, "app")
	b := tu.browser(t)
	b.login(adminToken)
	page := b.get("/ui/events/" + ev.ID)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("GET event page: %d", page.StatusCode)
	}
	body := html.UnescapeString(page.body)
	for _, s := range secrets {
		if strings.Contains(body, s) {
			t.Errorf("the event page shows the secret %q", s)
		}
	}
	for _, want := range []string{
		"POST</strong> /in/github?a=1&token=" + redactMask, // the request line
		"X-Github-Event", "push", "X-Hub-Signature-256", "redacted (15 bytes)", // names kept, lengths told
		"binary: hex dump", "00000000  00 01 62 69 6e 61 72 79  ff 20 62 6f 64 79", // hex.Dump's layout
		"No attempt yet.", "pending",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the event page lacks %q", want)
		}
	}
}

// redactMask is redact.Mask as it appears in a query string.
const redactMask = "%5Bredacted%5D"

func TestFeedJSON(t *testing.T) {
	t.Parallel()
	tu := newTestUI(t, nil)
	ev := tu.ingest(t, `{"n":1}`, nil, "app", "audit")
	if err := tu.store.Reject(t.Context(), event.Rejection{
		Source: "github", ReceivedAt: time.Now().Add(time.Second), Status: 401, Reason: "signature mismatch", RemoteAddr: "192.0.2.9:4444",
	}); err != nil {
		t.Fatal(err)
	}
	b := tu.browser(t)
	b.login(readToken)
	res := b.get("/ui/feed.json")
	var got struct{ Items []feedItem }
	if err := json.Unmarshal([]byte(res.body), &got); err != nil {
		t.Fatalf("feed.json: %v\n%s", err, res.body)
	}
	if len(got.Items) != 2 {
		t.Fatalf("feed.json has %d items, want 2: %s", len(got.Items), res.body)
	}
	r, e := got.Items[0], got.Items[1]
	if r.Kind != "rejection" || r.Status != 401 || r.Reason != "signature mismatch" || r.Source != "github" {
		t.Errorf("newest item %+v, want the rejection", r)
	}
	if e.Kind != "event" || e.ID != ev.ID || e.Type != "push" || len(e.States) != 1 || e.States[0] != (stateCount{event.Pending, 2}) {
		t.Errorf("second item %+v, want the event with 2 pending deliveries", e)
	}
	// A state filter leaves rejections out.
	res = b.get("/ui/feed.json?state=pending")
	if strings.Contains(res.body, "rejection") || !strings.Contains(res.body, ev.ID) {
		t.Errorf("feed.json?state=pending = %s, want the event alone", res.body)
	}
	res = b.get("/ui/feed.json?state=dead")
	if strings.Contains(res.body, ev.ID) {
		t.Errorf("feed.json?state=dead = %s, want no event", res.body)
	}
}

func TestHealthPage(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tu := newTestUI(t, func(d *Deps) {
		d.Flow = func(dest string) (bool, string) {
			if dest == "app" {
				return false, "open"
			}
			return true, ""
		}
		d.Throughput = func(now time.Time) []Minute {
			return []Minute{{Start: now.Add(-2 * time.Minute), Accepted: 7, Rejected: 3}}
		}
	})
	tu.ingest(t, `{}`, nil, "app")
	if err := tu.store.Reject(t.Context(), event.Rejection{Source: "stripe", ReceivedAt: now, Status: 401, Reason: "timestamp too old"}); err != nil {
		t.Fatal(err)
	}
	b := tu.browser(t)
	b.login(readToken)
	page := b.get("/ui/health")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("GET /ui/health: %d", page.StatusCode)
	}
	for _, want := range []string{
		`data-source="github"`, `data-source="stripe"`, "401 timestamp too old",
		`data-destination="app"`, "circuit open", `data-destination="audit"`, "paused",
		`<svg class="chart"`, `data-accepted="7" data-rejected="3"`, "accepted 7", "rejected 3",
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the health page lacks %q", want)
		}
	}
}

func TestShowBody(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", maxTextBody) // 2 bytes each: cut inside a rune
	tests := []struct {
		name      string
		in        []byte
		text      string
		binary    bool
		truncated bool
	}{
		{"json", []byte(`{"a":"ü"}`), `{"a":"ü"}`, false, false},
		{"text with newlines and tabs", []byte("a\tb\r\nc"), "a\tb\r\nc", false, false},
		{"empty", nil, "", false, false},
		{"invalid UTF-8", []byte{0xff, 'a'}, "", true, false},
		{"control character", []byte("a\x1bb"), "", true, false},
		{"long text", []byte(long), strings.Repeat("é", maxTextBody/2), false, true},
		{"long binary", make([]byte, maxHexBody+1), "", true, true},
	}
	for _, tt := range tests {
		got := showBody(tt.in)
		if got.Binary != tt.binary || got.Truncated != tt.truncated || got.Text != tt.text || got.Size != len(tt.in) {
			t.Errorf("%s: showBody = binary %v truncated %v size %d text %.20q, want %v %v %d %.20q",
				tt.name, got.Binary, got.Truncated, got.Size, got.Text, tt.binary, tt.truncated, len(tt.in), tt.text)
		}
		if tt.binary && !strings.HasPrefix(got.Hex, "00000000  ") {
			t.Errorf("%s: hex dump %.40q", tt.name, got.Hex)
		}
	}
}

func TestQueryFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want []field
	}{
		{"", nil},
		{"a=1&b=x%20y", []field{{Name: "a", Value: "1"}, {Name: "b", Value: "x y"}}},
		{"crc_token=abc&sig=zz", []field{{Name: "crc_token", Redacted: true, Size: 3}, {Name: "sig", Redacted: true, Size: 2}}},
		{"flag&&x=%zz", []field{{Name: "flag"}, {Name: "x", Value: "%zz"}}},
	}
	for _, tt := range tests {
		got := queryFields(tt.raw)
		if len(got) != len(tt.want) {
			t.Errorf("queryFields(%q) = %+v, want %+v", tt.raw, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("queryFields(%q)[%d] = %+v, want %+v", tt.raw, i, got[i], tt.want[i])
			}
		}
	}
}

func TestChart(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 30, 45, 0, time.UTC) // the hour: 11:31 to 12:30
	noon := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := newChart(now, []Minute{
		{Start: now.Truncate(time.Minute), Accepted: 30, Rejected: 10}, // the last slot
		{Start: now.Add(-59 * time.Minute), Accepted: 5},               // the first slot
		{Start: now.Add(-60 * time.Minute), Accepted: 1000},            // before the hour: ignored
		{Start: noon.Add(10 * time.Second), Rejected: 2},               // mid-minute start
		{Start: noon.Add(20 * time.Second), Rejected: 1},               // same minute: added
		{Start: now.Add(time.Minute), Accepted: 1000},                  // the future: ignored
	})
	if len(c.Bars) != chartMinutes {
		t.Fatalf("%d bars, want %d", len(c.Bars), chartMinutes)
	}
	if c.Accepted != 35 || c.Rejected != 13 || c.Peak != 40 {
		t.Errorf("totals %d/%d peak %d, want 35/13 peak 40", c.Accepted, c.Rejected, c.Peak)
	}
	last, first, mid := c.Bars[59], c.Bars[0], c.Bars[29]
	if last.Accepted != 30 || last.Rejected != 10 || first.Accepted != 5 || mid.Rejected != 3 {
		t.Errorf("bars: last %d/%d first %d mid %d, want 30/10, 5, 3", last.Accepted, last.Rejected, first.Accepted, mid.Rejected)
	}
	// The peak (40) fills the plot: the scale's top is 40.
	if got := last.AccH + last.RejH; got != chartPlotH {
		t.Errorf("the peak bar is %v high, want the plot's %d", got, chartPlotH)
	}
	if last.RejY+last.RejH != last.AccY {
		t.Errorf("rejected (y %v h %v) is not stacked on accepted (y %v)", last.RejY, last.RejH, last.AccY)
	}
	if c.Ticks[len(c.Ticks)-1].Label != "40" || c.Labels[0].Label != "11:31" || c.Labels[len(c.Labels)-1].Label != "12:30" {
		t.Errorf("labels: top tick %q, x from %q to %q; want 40, 11:31, 12:30", c.Ticks[len(c.Ticks)-1].Label, c.Labels[0].Label, c.Labels[len(c.Labels)-1].Label)
	}
	// No traffic: an empty chart with a scale, not a division by zero.
	empty := newChart(now, nil)
	if empty.Peak != 0 || empty.Ticks[len(empty.Ticks)-1].Label != "4" || !empty.Bars[0].Empty {
		t.Errorf("empty chart: peak %d, top tick %q", empty.Peak, empty.Ticks[len(empty.Ticks)-1].Label)
	}
}

func TestNiceCeil(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want int }{
		{0, 4}, {1, 4}, {4, 4}, {5, 8}, {9, 20}, {21, 40}, {40, 40}, {41, 80}, {199, 200}, {201, 400}, {12345, 20000},
	} {
		if got := niceCeil(tt.in); got != tt.want {
			t.Errorf("niceCeil(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   time.Duration
		want string
	}{
		{1234 * time.Microsecond, "1ms"},
		{1500 * time.Microsecond, "2ms"},
		{12345 * time.Millisecond, "12.3s"},
		{90*time.Minute + 10*time.Second, "1h30m10s"},
		{50 * time.Hour, "2d2h0m0s"},
	} {
		if got := formatDuration(tt.in); got != tt.want {
			t.Errorf("formatDuration(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
