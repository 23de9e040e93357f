package destination

import (
	"net/http"

	"github.com/hookgate/hookgate/internal/event"
)

// sent describes req for the attempt record, as it is: the delivery worker
// redacts credentials and signatures before anything is stored.
func sent(req *http.Request) event.Request {
	return event.Request{Method: req.Method, URL: req.URL.String(), Header: req.Header}
}
