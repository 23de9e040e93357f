package destination

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"
	"unicode/utf8"

	"github.com/hookgate/hookgate/internal/event"
)

// FileConfig configures a file destination.
type FileConfig struct {
	// Path is the file lines are appended to. It is created (mode 0600) if
	// missing; its folder must exist. Required.
	Path string
	// Sync, when true, flushes the file to disk (fsync) after every line,
	// before the delivery counts as done. Without it a crash of the machine
	// can lose lines that were recorded as delivered.
	Sync bool
}

// File delivers events by appending one JSON object per line to a file (a
// JSON Lines archive that jq, Vector or a log shipper can read):
//
//	{"id":"...","source":"github","type":"push","received_at":"2026-05-01T12:00:00Z",
//	 "provider_delivery_id":"...","method":"POST","query":"","headers":{"Content-Type":["application/json"]},
//	 "body":"{\"zen\":\"...\"}"}
//
// The body is a JSON string holding the bytes as they came when they are
// valid UTF-8 (JSON, form data, XML, text), and their base64 otherwise, with
// "body_base64": true. Headers are written as received, credentials
// included: protect the file as the database is protected.
//
// Lines are written whole, one at a time (each with a single write to a
// file opened for appending), so File is safe for concurrent use. Delivery
// is at least once: a retried delivery can write its line twice, with the
// same id. The file is opened on the first delivery and kept open; Close
// closes it.
type File struct {
	path string
	sync bool
	// lock is a one-slot semaphore (a channel, so waiting can end with the
	// context) guarding f and broken.
	lock chan struct{}
	f    *os.File
	// broken says the last write may have left a partial line, which the
	// next write ends first.
	broken bool
}

var _ Destination = (*File)(nil)

// NewFile checks cfg and returns a file destination. It opens nothing.
func NewFile(cfg FileConfig) (*File, error) {
	if cfg.Path == "" {
		return nil, errors.New("path: required")
	}
	return &File{path: cfg.Path, sync: cfg.Sync, lock: make(chan struct{}, 1)}, nil
}

// fileRecord is one line of the file.
type fileRecord struct {
	ID                 string      `json:"id"`
	Source             string      `json:"source"`
	Type               string      `json:"type,omitempty"`
	ReceivedAt         time.Time   `json:"received_at"`
	ProviderDeliveryID string      `json:"provider_delivery_id,omitempty"`
	Method             string      `json:"method"`
	Query              string      `json:"query"`
	Headers            http.Header `json:"headers"`
	Body               string      `json:"body"`
	BodyBase64         bool        `json:"body_base64,omitempty"`
}

// Line returns the line File writes for ev, newline included.
func Line(ev *event.Event) ([]byte, error) {
	r := fileRecord{
		ID: ev.ID, Source: ev.Source, Type: ev.Type, ReceivedAt: ev.ReceivedAt.UTC(),
		ProviderDeliveryID: ev.DeliveryID, Method: ev.Method, Query: ev.Query, Headers: ev.Header,
	}
	if r.Headers == nil {
		r.Headers = http.Header{}
	}
	if utf8.Valid(ev.Body) {
		r.Body = string(ev.Body)
	} else {
		r.Body, r.BodyBase64 = base64.StdEncoding.EncodeToString(ev.Body), true
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil { // Encode ends the line with '\n'
		return nil, fmt.Errorf("encode line: %w", err)
	}
	return b.Bytes(), nil
}

// Deliver appends ev's line. Status is 200 once the line is written (and
// synced, with Sync); Err says why not.
func (f *File) Deliver(ctx context.Context, ev *event.Event, _ event.Delivery) Result {
	line, err := Line(ev)
	if err != nil {
		return Result{Err: err}
	}
	select {
	case f.lock <- struct{}{}:
		defer func() { <-f.lock }()
	case <-ctx.Done():
		return Result{Err: fmt.Errorf("waiting for the file: %w", ctx.Err())}
	}
	if err := f.write(line); err != nil {
		return Result{Err: err}
	}
	return Result{Status: http.StatusOK}
}

// write appends line; the caller holds the lock.
func (f *File) write(line []byte) error {
	if f.f == nil {
		fh, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("open: %w", err)
		}
		f.f = fh
	}
	if f.broken {
		line = append([]byte{'\n'}, line...)
	}
	n, err := f.f.Write(line)
	if err != nil {
		// A partial line is ended by the next write; the file is opened
		// again, in case it was the descriptor that failed.
		f.broken = f.broken || n > 0
		f.f.Close()
		f.f = nil
		return fmt.Errorf("write: %w", err)
	}
	f.broken = false
	if f.sync {
		if err := f.f.Sync(); err != nil {
			return fmt.Errorf("sync: %w", err)
		}
	}
	return nil
}

// Close closes the file, if it is open. Deliveries after Close open it
// again.
func (f *File) Close() error {
	f.lock <- struct{}{}
	defer func() { <-f.lock }()
	if f.f == nil {
		return nil
	}
	err := f.f.Close()
	f.f = nil
	return err
}
