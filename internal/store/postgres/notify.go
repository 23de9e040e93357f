package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Subscribe calls f after every commit, by any node on this database, that
// may have made deliveries due (Ingest with destinations, Release, Retry),
// and each time the listening connection is established or re-established,
// since notifications sent while it was down are lost. It stops calling f
// when ctx is done or the store is closed. f must not block (deliver.Worker's
// Notify does not).
//
// The first Subscribe starts a goroutine that LISTENs on a connection of its
// own (outside the pool) and reconnects by itself, with backoff, when the
// database goes away; Close stops it.
func (s *Store) Subscribe(ctx context.Context, f func()) error {
	if err := s.enter(); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	defer s.leave()
	s.notify.add(ctx, f)
	return nil
}

// Reconnect delays of the listener.
const (
	listenMinDelay = 100 * time.Millisecond
	listenMaxDelay = 5 * time.Second
)

// listener runs LISTEN and calls the subscribers back.
type listener struct {
	cfg *pgx.ConnConfig
	log *slog.Logger

	mu      sync.Mutex
	subs    map[uint64]func()
	next    uint64
	cancel  context.CancelFunc // set once started
	done    chan struct{}
	stopped bool
}

func (l *listener) init(cfg *pgx.ConnConfig, log *slog.Logger) {
	l.cfg = cfg.Copy()
	l.log = log
	l.subs = make(map[uint64]func())
}

// add registers f until ctx is done, starting the listener if needed.
func (l *listener) add(ctx context.Context, f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped || ctx.Err() != nil {
		return
	}
	id := l.next
	l.next++
	l.subs[id] = f
	context.AfterFunc(ctx, func() {
		l.mu.Lock()
		delete(l.subs, id)
		l.mu.Unlock()
	})
	if l.cancel == nil {
		var runCtx context.Context
		runCtx, l.cancel = context.WithCancel(context.Background())
		l.done = make(chan struct{})
		go l.run(runCtx)
	}
}

// stop ends the listener and waits for it. Subscribers are not called after
// stop returns.
func (l *listener) stop() {
	l.mu.Lock()
	l.stopped = true
	clear(l.subs)
	cancel, done := l.cancel, l.done
	l.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (l *listener) fire() {
	l.mu.Lock()
	fs := make([]func(), 0, len(l.subs))
	for _, f := range l.subs {
		fs = append(fs, f)
	}
	l.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// run listens until ctx is done, reconnecting after failures.
func (l *listener) run(ctx context.Context) {
	defer close(l.done)
	delay := listenMinDelay
	for {
		connected, err := l.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if connected {
			delay = listenMinDelay
		}
		l.log.Warn("postgres: notification listener lost its connection; workers fall back to polling until it is back",
			"err", err, "retry_in", delay.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, listenMaxDelay)
	}
}

// listenOnce connects, LISTENs and calls back on every notification until
// the connection fails. connected tells whether LISTEN took effect.
func (l *listener) listenOnce(ctx context.Context) (connected bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return false, err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+notifyChannel); err != nil {
		return false, err
	}
	l.fire() // whatever was sent while not listening
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true, err
		}
		l.fire()
	}
}
