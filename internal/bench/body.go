package bench

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// idLen is the length of the UUID-shaped id in every body.
const idLen = 36

// bodyPrefix and bodyMiddle frame the id and the padding:
// {"id":"<id>","padding":"aaa...a"}
const (
	bodyPrefix = `{"id":"`
	bodyMiddle = `","padding":"`
	bodySuffix = `"}`
	// MinBodySize is the smallest body Run sends; smaller BodySize values
	// are raised to it.
	MinBodySize = len(bodyPrefix) + idLen + len(bodyMiddle) + len(bodySuffix)
)

// bodies makes request bodies: JSON of a fixed size holding an id that is
// unique per request and, through a random part drawn once per run, across
// runs, so a receiver's dedup never matches. Buffers are pooled and reused
// once the transport closes the request body, so the load generator stays
// light next to the server it measures.
type bodies struct {
	template []byte
	pool     sync.Pool // of *[]byte holding a copy of template
}

func newBodies(size int) (*bodies, error) {
	size = max(size, MinBodySize)
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("random body id: %w", err)
	}
	id[6] = 0x40 | id[6]&0x0f // version 4
	id[8] = 0x80 | id[8]&0x3f // RFC 4122 variant
	t := make([]byte, 0, size)
	t = append(t, bodyPrefix...)
	t = fmt.Appendf(t, "%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:16])
	t = append(t, bodyMiddle...)
	for len(t) < size-len(bodySuffix) {
		t = append(t, 'a')
	}
	t = append(t, bodySuffix...)
	return &bodies{template: t}, nil
}

// next returns a body whose id ends with the worker index and its sequence
// number: the last 12 hex digits of the UUID. It is closed by the transport.
func (b *bodies) next(worker uint16, seq uint32) *body {
	p, _ := b.pool.Get().(*[]byte)
	if p == nil {
		buf := make([]byte, len(b.template))
		copy(buf, b.template)
		p = &buf
	}
	var tail [6]byte
	tail[0], tail[1] = byte(worker>>8), byte(worker)
	tail[2], tail[3], tail[4], tail[5] = byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq)
	at := len(bodyPrefix) + idLen - 12
	hex.Encode((*p)[at:at+12], tail[:])
	return &body{buf: p, pool: &b.pool}
}

// body is one request's body. Close gives the buffer back to the pool; the
// transport may call it after RoundTrip returns and more than once, and it
// never reads the body after the first Close.
type body struct {
	buf    *[]byte
	off    int
	closed atomic.Bool
	pool   *sync.Pool
}

func (b *body) bytes() []byte { return *b.buf }

func (b *body) Read(p []byte) (int, error) {
	if b.off >= len(*b.buf) {
		return 0, io.EOF
	}
	n := copy(p, (*b.buf)[b.off:])
	b.off += n
	return n, nil
}

func (b *body) Close() error {
	if b.closed.CompareAndSwap(false, true) {
		b.pool.Put(b.buf)
	}
	return nil
}
