package destination

import "errors"

// ErrUnavailable, wrapped in a Result's Err, says the destination could not
// take the delivery at all and nothing was sent (or nothing is known to
// have been): a listen destination with no listener connected, or whose
// listener dropped before reporting. The worker gives such a delivery back,
// due again shortly, without recording an attempt.
var ErrUnavailable = errors.New("destination unavailable")
