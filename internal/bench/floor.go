package bench

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
)

// maxFloorBody bounds the bodies the floor accepts.
const maxFloorBody = 1 << 20

var errFloorClosed = errors.New("floor closed")

// Floor is the durable floor: an http.Handler that appends each request body
// to one file and answers 202 only once an fdatasync covering that write has
// returned. Requests append under a mutex and then wait; one syncer goroutine
// loops, taking every write made since its last fdatasync into the next one
// (group commit), so concurrent requests share a sync. See the package
// documentation for what it is measured for.
type Floor struct {
	f    *os.File
	sync func(*os.File) error // fdatasync, but for tests

	mu      sync.Mutex
	pending *syncBatch // what the next fdatasync will cover
	dirty   bool       // pending holds at least one write
	closed  bool

	kick chan struct{} // a write made pending dirty; capacity 1
	quit chan struct{}
	wg   sync.WaitGroup

	syncs  atomic.Int64
	writes atomic.Int64
	bufs   sync.Pool // of *bytes.Buffer
}

// syncBatch is the set of writes one fdatasync covers. done is closed once
// it has returned, with its error in err.
type syncBatch struct {
	done chan struct{}
	err  error
}

var _ http.Handler = (*Floor)(nil)

// NewFloor creates (or truncates) the file at path and starts the syncer.
// Close stops it.
func NewFloor(path string) (*Floor, error) { return newFloor(path, fdatasync) }

// newFloor is NewFloor with the sync call given, for tests that fake a slow
// disk.
func newFloor(path string, sync func(*os.File) error) (*Floor, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open floor file: %w", err)
	}
	fl := &Floor{
		f:       f,
		sync:    sync,
		pending: &syncBatch{done: make(chan struct{})},
		kick:    make(chan struct{}, 1),
		quit:    make(chan struct{}),
	}
	fl.wg.Go(fl.syncLoop)
	return fl, nil
}

// Syncs returns how many fdatasyncs the floor has made.
func (fl *Floor) Syncs() int64 { return fl.syncs.Load() }

// Writes returns how many bodies the floor has appended.
func (fl *Floor) Writes() int64 { return fl.writes.Load() }

// ServeHTTP appends the body and answers 202 once it is on stable storage.
func (fl *Floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	buf, _ := fl.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer fl.bufs.Put(buf)
	buf.Reset()
	if r.ContentLength > 0 && r.ContentLength <= maxFloorBody {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxFloorBody)); err != nil {
		status := http.StatusBadRequest
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			status = http.StatusRequestEntityTooLarge
		}
		http.Error(w, "read body", status)
		return
	}
	b, err := fl.append(buf.Bytes())
	if err != nil {
		http.Error(w, "append", http.StatusInternalServerError)
		return
	}
	select {
	case <-b.done:
	case <-r.Context().Done():
		return // the client is gone; the sync goes on without it
	}
	if b.err != nil {
		http.Error(w, "sync", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// append writes p to the file and returns the batch whose sync will cover it.
func (fl *Floor) append(p []byte) (*syncBatch, error) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.closed {
		return nil, errFloorClosed
	}
	if _, err := fl.f.Write(p); err != nil {
		return nil, fmt.Errorf("append to floor file: %w", err)
	}
	fl.writes.Add(1)
	if !fl.dirty {
		fl.dirty = true
		fl.kick <- struct{}{} // never blocks: one kick per dirty period
	}
	return fl.pending, nil
}

// syncLoop makes one fdatasync per kick, covering every write made before it
// took the pending batch, and wakes that batch's waiters.
func (fl *Floor) syncLoop() {
	for {
		select {
		case <-fl.kick:
			fl.syncPending()
		case <-fl.quit:
			// Close stopped new writes; a kick may still be waiting.
			select {
			case <-fl.kick:
				fl.syncPending()
			default:
			}
			return
		}
	}
}

func (fl *Floor) syncPending() {
	fl.mu.Lock()
	b := fl.pending
	fl.pending = &syncBatch{done: make(chan struct{})}
	fl.dirty = false
	fl.mu.Unlock()
	b.err = fl.sync(fl.f)
	fl.syncs.Add(1)
	close(b.done)
}

// Close stops the syncer, after a last sync of pending writes, and closes
// the file. Requests arriving after Close get 500.
func (fl *Floor) Close() error {
	fl.mu.Lock()
	if fl.closed {
		fl.mu.Unlock()
		return nil
	}
	fl.closed = true
	fl.mu.Unlock()
	close(fl.quit)
	fl.wg.Wait()
	if err := fl.f.Close(); err != nil {
		return fmt.Errorf("close floor file: %w", err)
	}
	return nil
}
