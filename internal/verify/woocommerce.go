package verify

import (
	"net/http"
	"strings"
)

// wooPing answers the unsigned ping WooCommerce sends when a webhook is
// saved: a form POST whose whole body is webhook_id=<digits>, without a
// signature header. It is acknowledged and not stored.
func wooPing(s *scheme, r *Request) (*Response, bool) {
	if r.Method != http.MethodPost || len(r.Header[s.canonical.headers[0]]) > 0 {
		return nil, false
	}
	id, ok := strings.CutPrefix(string(r.Body), "webhook_id=")
	if !ok || id == "" || len(id) > 20 || strings.Trim(id, "0123456789") != "" {
		return nil, false
	}
	return emptyResponse(http.StatusOK), true
}
