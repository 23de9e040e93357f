package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/beanstalkd/go-beanstalk"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
)

// Beanstalkd defaults, as job libraries such as Pheanstalk use them.
const (
	DefaultBeanstalkdTube     = "default"
	DefaultBeanstalkdPriority = 1024
	DefaultBeanstalkdTTR      = 60 * time.Second
)

// beanstalkdIdle is how many idle connections a Beanstalkd keeps.
const beanstalkdIdle = 8

// BeanstalkdConfig configures a beanstalkd destination.
type BeanstalkdConfig struct {
	// Addr is the server's host:port. Required.
	Addr string
	// Tube is the tube jobs are put into. Default "default".
	Tube string
	// Priority is the jobs' priority, 0 (most urgent) to 4294967295.
	// Nil means DefaultBeanstalkdPriority.
	Priority *uint32
	// Delay holds each job back this long before it is ready; whole
	// seconds, rounded up. Default 0.
	Delay time.Duration
	// TTR is the time a worker has to run a job before it is released
	// again; whole seconds, rounded up, at least 1s. Default 60s.
	TTR time.Duration
	// DialTimeout bounds connecting when the caller's context has no
	// deadline. Default 10s.
	DialTimeout time.Duration
}

// Beanstalkd puts events into a beanstalkd tube, as jobs whose body is the
// event body byte for byte. beanstalkd has no headers and chooses job ids
// itself, so the metadata is not carried; the job id is in the attempt's
// Response ("job 42").
//
// A job larger than the server's maximum (beanstalkd -z, 65535 bytes by
// default) is a permanent failure, 413. Connections are pooled: each put
// has one to itself, and a connection that failed is closed.
type Beanstalkd struct {
	addr        string
	tube        string
	pri         uint32
	delay, ttr  time.Duration
	dialTimeout time.Duration

	mu     sync.Mutex
	idle   []*beanstalkConn
	closed bool
}

var _ destination.Destination = (*Beanstalkd)(nil)

// NewBeanstalkd checks cfg and returns a beanstalkd destination. It does not
// connect.
func NewBeanstalkd(cfg BeanstalkdConfig) (*Beanstalkd, error) {
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("addr %q: want host:port", cfg.Addr)
	}
	tube := cmp.Or(cfg.Tube, DefaultBeanstalkdTube)
	if err := checkTube(tube); err != nil {
		return nil, fmt.Errorf("tube: %w", err)
	}
	if cfg.Delay < 0 || cfg.TTR < 0 {
		return nil, errors.New("delay and ttr must not be negative")
	}
	pri := uint32(DefaultBeanstalkdPriority)
	if cfg.Priority != nil {
		pri = *cfg.Priority
	}
	return &Beanstalkd{
		addr:        cfg.Addr,
		tube:        tube,
		pri:         pri,
		delay:       roundUp(cfg.Delay),
		ttr:         max(roundUp(cmp.Or(cfg.TTR, DefaultBeanstalkdTTR)), time.Second),
		dialTimeout: cmp.Or(cfg.DialTimeout, 10*time.Second),
	}, nil
}

// roundUp rounds d up to whole seconds: beanstalkd counts in seconds.
func roundUp(d time.Duration) time.Duration {
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return d
}

// checkTube checks a tube name as beanstalkd and its client do: 1 to 199
// bytes of letters, digits and -+/;.$_(), not starting with '-'.
func checkTube(name string) error {
	switch {
	case name == "" || len(name) >= 200:
		return fmt.Errorf("%q: want 1 to 199 characters", name)
	case name[0] == '-':
		return fmt.Errorf("%q: must not start with '-'", name)
	case strings.Trim(name, beanstalk.NameChars) != "":
		return fmt.Errorf("%q: only letters, digits and -+/;.$_() are allowed", name)
	}
	return nil
}

// Deliver puts ev's body into the tube.
func (b *Beanstalkd) Deliver(ctx context.Context, ev *event.Event, _ event.Delivery) destination.Result {
	c, err := b.get(ctx)
	if err != nil {
		return failed(err)
	}
	id, err := c.put(ctx, ev.Body, b.pri, b.delay, b.ttr)
	if err != nil {
		c.close() // its state is unknown
		if errors.Is(err, beanstalk.ErrJobTooBig) {
			return rejected(413, "job too big: %d bytes, more than the server's maximum job size (beanstalkd -z)", len(ev.Body))
		}
		return failed(fmt.Errorf("put: %w", err))
	}
	b.release(c)
	return accepted("job %d", id)
}

// get returns an idle connection or dials a new one.
func (b *Beanstalkd) get(ctx context.Context) (*beanstalkConn, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, errClosed
	}
	if n := len(b.idle); n > 0 {
		c := b.idle[n-1]
		b.idle = b.idle[:n-1]
		b.mu.Unlock()
		return c, nil
	}
	b.mu.Unlock()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.dialTimeout)
		defer cancel()
	}
	d := net.Dialer{KeepAlive: 10 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", b.addr)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	conn := beanstalk.NewConn(nc)
	return &beanstalkConn{nc: nc, tube: beanstalk.NewTube(conn, b.tube)}, nil
}

// release keeps c for the next delivery, or closes it.
func (b *Beanstalkd) release(c *beanstalkConn) {
	b.mu.Lock()
	if !b.closed && len(b.idle) < beanstalkdIdle {
		b.idle = append(b.idle, c)
		c = nil
	}
	b.mu.Unlock()
	if c != nil {
		c.close()
	}
}

// Close closes the idle connections; connections in use are closed when
// their put ends. Deliveries after Close fail.
func (b *Beanstalkd) Close() error {
	b.mu.Lock()
	idle := b.idle
	b.idle, b.closed = nil, true
	b.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
	return nil
}

// beanstalkConn is one connection, used by one delivery at a time.
type beanstalkConn struct {
	nc   net.Conn
	tube *beanstalk.Tube
}

// put puts one job, within ctx: its deadline bounds the exchange, and its
// cancellation interrupts it.
func (c *beanstalkConn) put(ctx context.Context, body []byte, pri uint32, delay, ttr time.Duration) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	deadline, _ := ctx.Deadline()
	if err := c.nc.SetDeadline(deadline); err != nil {
		return 0, err
	}
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	id, err := c.tube.Put(body, pri, delay, ttr)
	if !stop() && err != nil {
		err = fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return id, err
}

func (c *beanstalkConn) close() { c.nc.Close() }
