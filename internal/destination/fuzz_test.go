package destination

import (
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
)

// FuzzKeyTemplate checks that parsing any template is safe, and that a key
// rendered from any provider id stays within S3's limit and gets no path
// segment from the id.
func FuzzKeyTemplate(f *testing.F) {
	f.Add("{source}/{date}/{id}.json", "72d3162e-cc78-11e3")
	f.Add("raw/{year}/{month}/{day}/{hour}/{type}-{event_id}.{ext}", "../../x")
	f.Add("{provider_delivery_id}{provider_delivery_id}", "..")
	f.Add("{", "")
	f.Add("}{", "a/b")
	f.Fuzz(func(t *testing.T, tmpl, providerID string) {
		k, err := parseKey(tmpl)
		if err != nil {
			return
		}
		ev := &event.Event{ID: "e1", Source: "s", Type: "t", DeliveryID: providerID, ReceivedAt: time.Unix(0, 0)}
		key, err := k.render(ev, event.Delivery{ID: "d1"})
		if err != nil {
			return
		}
		if len(key) > maxKey {
			t.Fatalf("key of %d bytes", len(key))
		}
		v := keySafe(providerID)
		if strings.ContainsAny(v, "/\\") || v == "." || v == ".." || v == "" {
			t.Fatalf("keySafe(%q) = %q", providerID, v)
		}
	})
}
