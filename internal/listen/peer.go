package listen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// peer is one connected listener.
type peer struct {
	conn *websocket.Conn
	name string

	mu sync.Mutex
	// waiting holds a channel per delivery sent and not yet reported.
	waiting map[string]chan Report

	// reported is signalled after each report, for the backlog count.
	reported chan struct{}

	done chan struct{} // closed by end
	once sync.Once
	err  error // why it ended; read after done
}

// accept upgrades the request to a WebSocket connection.
func accept(w http.ResponseWriter, r *http.Request, name string) (*peer, error) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(maxReport)
	return &peer{conn: c, name: name, waiting: map[string]chan Report{}, reported: make(chan struct{}, 1), done: make(chan struct{})}, nil
}

// send writes one message.
func (p *peer) send(ctx context.Context, m Down) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s message: %w", m.Kind, err)
	}
	return p.conn.Write(ctx, websocket.MessageText, b)
}

// read dispatches the listener's reports until the connection ends, and
// returns why it ended.
func (p *peer) read(ctx context.Context) error {
	for {
		_, b, err := p.conn.Read(ctx)
		if err != nil {
			return describe(err)
		}
		var r Report
		if err := json.Unmarshal(b, &r); err != nil || r.DeliveryID == "" {
			p.conn.Close(websocket.StatusUnsupportedData, "not a report")
			return fmt.Errorf("listener sent something that is not a report")
		}
		p.mu.Lock()
		ch, ok := p.waiting[r.DeliveryID]
		p.mu.Unlock()
		if ok {
			select {
			case ch <- r:
			default: // a second report for the same delivery
			}
		}
		select {
		case p.reported <- struct{}{}:
		default:
		}
	}
}

// keepalive pings until ctx is done, and drops the connection when a pong
// does not come in time.
func (p *peer) keepalive(ctx context.Context) {
	t := time.NewTicker(PingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, PingTimeout)
		err := p.conn.Ping(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			p.end(fmt.Errorf("no pong within %s", PingTimeout))
			return
		}
	}
}

// wait registers a delivery sent to p; its report comes on the channel.
func (p *peer) wait(id string) chan Report {
	ch := make(chan Report, 1)
	p.mu.Lock()
	p.waiting[id] = ch
	p.mu.Unlock()
	return ch
}

func (p *peer) unwait(id string) {
	p.mu.Lock()
	delete(p.waiting, id)
	p.mu.Unlock()
}

// end marks p gone, for err, and closes its connection.
func (p *peer) end(err error) {
	p.once.Do(func() {
		p.err = err
		close(p.done)
		p.conn.CloseNow()
	})
}

// close ends p with a close message saying why.
func (p *peer) close(code websocket.StatusCode, reason string) {
	p.once.Do(func() {
		p.err = errors.New(reason)
		close(p.done)
		p.conn.Close(code, reason)
	})
}

// describe shortens the errors a broken connection gives.
func describe(err error) error {
	if s := websocket.CloseStatus(err); s != -1 {
		return fmt.Errorf("listener closed the stream (%d)", s)
	}
	return err
}
