package listen

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
)

// Destination is one listen destination: it sends each delivery to one of
// its connected listeners and waits for the report. Make it with New.
// It is safe for concurrent use.
type Destination struct {
	name  string
	token [sha256.Size]byte

	mu    sync.Mutex
	peers []*peer
	next  int // round-robin position

	// watch serialises presence changes, so watchers see them in order.
	watch    sync.Mutex
	watchers []func(online bool)
	online   bool
}

var _ destination.Destination = (*Destination)(nil)

// Deliver sends ev to a connected listener and returns what it reported.
// With no listener connected, or when the listener drops before reporting,
// the result's error wraps destination.ErrUnavailable: the event was not
// (known to be) forwarded, and the worker gives it back without an attempt.
// A listener that stays connected but does not report before ctx's
// deadline is a timeout, like an HTTP destination that does not answer.
func (d *Destination) Deliver(ctx context.Context, ev *event.Event, del event.Delivery) destination.Result {
	p := d.pick()
	if p == nil {
		return destination.Result{Err: fmt.Errorf("no listener connected: %w", destination.ErrUnavailable)}
	}
	ch := p.wait(del.ID)
	defer p.unwait(del.ID)
	msg := Down{Kind: KindEvent, Event: &Event{
		ID: ev.ID, DeliveryID: del.ID, Attempt: del.Attempts + 1,
		Source: ev.Source, Type: ev.Type, ReceivedAt: ev.ReceivedAt,
		Method: ev.Method, Query: ev.Query, Header: ev.Header, Body: ev.Body,
	}}
	start := time.Now()
	if dl, ok := ctx.Deadline(); ok {
		msg.Event.TimeoutMS = time.Until(dl).Milliseconds()
	}
	req := event.Request{Method: ev.Method, URL: "listen://" + d.name, Header: ev.Header}
	if err := p.send(ctx, msg); err != nil {
		if ctx.Err() != nil {
			return destination.Result{Err: fmt.Errorf("timeout: could not send to listener %s: %w", p.name, ctx.Err()), Request: req}
		}
		p.end(err)
		return destination.Result{Err: fmt.Errorf("send to listener %s: %v: %w", p.name, err, destination.ErrUnavailable)}
	}
	select {
	case r := <-ch:
		return result(r, req)
	case <-p.done:
		return destination.Result{Err: fmt.Errorf("listener %s disconnected before reporting (%v): %w", p.name, p.err, destination.ErrUnavailable)}
	case <-ctx.Done():
		return destination.Result{
			Err:     fmt.Errorf("timeout: listener %s did not report within %s: %w", p.name, time.Since(start).Round(time.Millisecond), ctx.Err()),
			Request: req,
		}
	}
}

// result turns a report into the attempt's result.
func result(r Report, req event.Request) destination.Result {
	if r.URL != "" {
		req.URL = r.URL
	}
	switch {
	case r.Skipped != "":
		return destination.Result{Status: http.StatusNoContent, Response: []byte("skipped by the listener: " + r.Skipped), Request: req}
	case r.Error != "":
		return destination.Result{Err: errors.New("local app: " + r.Error), Request: req}
	}
	body := r.Body[:min(len(r.Body), destination.MaxResponse)]
	return destination.Result{Status: r.Status, Response: body, Header: r.Header, Request: req}
}

// Watch calls f with whether a listener is connected, now and at every
// change, in order. f must not call back into d.
func (d *Destination) Watch(f func(online bool)) {
	d.watch.Lock()
	defer d.watch.Unlock()
	d.watchers = append(d.watchers, f)
	f(d.online)
}

// Close disconnects every listener, saying the gateway is going away.
func (d *Destination) Close() error {
	d.mu.Lock()
	peers := append([]*peer(nil), d.peers...)
	d.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Go(func() { p.close(websocket.StatusGoingAway, "gateway shutting down") })
	}
	wg.Wait()
	return nil
}

// pick returns the next connected listener, nil if none.
func (d *Destination) pick() *peer {
	d.mu.Lock()
	defer d.mu.Unlock()
	for range d.peers {
		d.next = (d.next + 1) % len(d.peers)
		if p := d.peers[d.next]; !isDone(p) {
			return p
		}
	}
	return nil
}

func isDone(p *peer) bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (d *Destination) attach(p *peer) {
	d.mu.Lock()
	d.peers = append(d.peers, p)
	d.mu.Unlock()
	d.changed()
}

func (d *Destination) detach(p *peer) {
	d.mu.Lock()
	for i, q := range d.peers {
		if q == p {
			d.peers = append(d.peers[:i], d.peers[i+1:]...)
			break
		}
	}
	d.mu.Unlock()
	d.changed()
}

// changed tells the watchers when being online changed.
func (d *Destination) changed() {
	d.watch.Lock()
	defer d.watch.Unlock()
	d.mu.Lock()
	online := len(d.peers) > 0
	d.mu.Unlock()
	if online == d.online {
		return
	}
	d.online = online
	for _, f := range d.watchers {
		f(online)
	}
}
