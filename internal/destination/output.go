package destination

import (
	"fmt"
	"sync"
)

// output keeps a bounded record of a command's output: its first and last
// bytes, with a marker for what was left out between them, at most limit
// bytes in all. The end is kept because that is where commands say why they
// failed. It is safe for concurrent use.
type output struct {
	mu      sync.Mutex
	limit   int
	head    []byte
	tail    []byte // ring buffer, once full
	next    int    // where the next tail byte goes
	dropped int64  // bytes neither head nor tail kept
}

// omitted is the marker between head and tail; %d is the count.
const omitted = "\n[... %d bytes omitted ...]\n"

// markerRoom is the space kept for the marker.
const markerRoom = 48

func newOutput(limit int) *output { return &output{limit: limit} }

func (o *output) headCap() int { return (o.limit - markerRoom) / 2 }
func (o *output) tailCap() int { return o.limit - markerRoom - o.headCap() }

// Write never fails: what does not fit is counted and dropped.
func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := len(p)
	if room := o.headCap() - len(o.head); room > 0 {
		k := min(room, len(p))
		o.head = append(o.head, p[:k]...)
		p = p[k:]
	}
	tc := o.tailCap()
	for len(p) > 0 {
		if len(o.tail) < tc {
			k := min(tc-len(o.tail), len(p))
			o.tail = append(o.tail, p[:k]...)
			p = p[k:]
			continue
		}
		// Full: overwrite the oldest bytes, keeping only the last tc of p.
		if len(p) > tc {
			o.dropped += int64(len(p) - tc)
			p = p[len(p)-tc:]
		}
		k := copy(o.tail[o.next:], p)
		o.dropped += int64(k)
		p = p[k:]
		o.next = (o.next + k) % tc
	}
	return n, nil
}

// Bytes returns what was kept, nil when nothing was written.
func (o *output) Bytes() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.head)+len(o.tail) == 0 {
		return nil
	}
	out := make([]byte, 0, o.limit)
	out = append(out, o.head...)
	if o.dropped > 0 {
		out = fmt.Appendf(out, omitted, o.dropped)
	}
	out = append(out, o.tail[o.next:]...)
	return append(out, o.tail[:o.next]...)
}
