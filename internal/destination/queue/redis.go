package queue

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
)

// StreamBodyField is the field of a stream entry that holds the body.
const StreamBodyField = "body"

// RedisConfig configures a Redis destination: a stream or a list, not both.
type RedisConfig struct {
	// Addr is the server's host:port. Required.
	Addr string
	// Username and Password authenticate (AUTH); both optional.
	Username string
	Password string
	// DB is the database number. Default 0.
	DB int
	// Stream is the key of a stream each event is added to (XADD).
	Stream string
	// List is the key of a list each event's body is pushed onto.
	List string
	// LeftPush pushes onto the list's head (LPUSH, for consumers that
	// BRPOP); the default pushes onto its tail (RPUSH, for consumers that
	// BLPOP).
	LeftPush bool
	// MaxLen trims the stream to about this many entries (XADD MAXLEN ~):
	// Redis trims whole nodes, so a few more may remain. 0 does not trim.
	MaxLen int64
	// Headers are added to every stream entry (not to lists, whose
	// elements are the body alone).
	Headers map[string]string
	// DialTimeout bounds connecting. Default 5s.
	DialTimeout time.Duration
}

// Redis adds events to a Redis stream or pushes them onto a list.
//
// A stream entry has the field "body", the event body byte for byte, then
// one field per header (package doc); its id is Redis's own. A list element
// is the body alone, as job libraries built on lists expect.
//
// The client keeps a pool of connections and dials again when one breaks.
type Redis struct {
	client   *redis.Client
	stream   string
	list     string
	leftPush bool
	maxLen   int64
	headers  []header
}

var _ destination.Destination = (*Redis)(nil)

// NewRedis checks cfg and returns a Redis destination. It does not connect.
func NewRedis(cfg RedisConfig) (*Redis, error) {
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("addr %q: want host:port", cfg.Addr)
	}
	switch {
	case (cfg.Stream == "") == (cfg.List == ""):
		return nil, errors.New("set one of stream and list")
	case cfg.List != "" && cfg.MaxLen != 0:
		return nil, errors.New("maxlen: only for a stream")
	case cfg.List != "" && len(cfg.Headers) > 0:
		return nil, errors.New("headers: a list element holds the body alone (use a stream for headers)")
	case cfg.Stream != "" && cfg.LeftPush:
		return nil, errors.New("push: only for a list")
	case cfg.MaxLen < 0 || cfg.DB < 0:
		return nil, errors.New("maxlen and db must not be negative")
	}
	headers, err := staticHeaders(cfg.Headers)
	if err != nil {
		return nil, err
	}
	client := redis.NewClient(&redis.Options{
		Addr:                  cfg.Addr,
		Username:              cfg.Username,
		Password:              cfg.Password,
		DB:                    cfg.DB,
		ClientName:            "hookgate",
		DialTimeout:           max(cfg.DialTimeout, 0),
		ContextTimeoutEnabled: true, // the attempt's deadline bounds reads and writes
	})
	return &Redis{
		client:   client,
		stream:   cfg.Stream,
		list:     cfg.List,
		leftPush: cfg.LeftPush,
		maxLen:   cfg.MaxLen,
		headers:  headers,
	}, nil
}

// Deliver adds ev to the stream, or pushes its body onto the list.
func (r *Redis) Deliver(ctx context.Context, ev *event.Event, d event.Delivery) destination.Result {
	if r.list != "" {
		push := r.client.RPush
		if r.leftPush {
			push = r.client.LPush
		}
		n, err := push(ctx, r.list, ev.Body).Result()
		if err != nil {
			return failed(r.describe("push onto list "+r.list, err))
		}
		return accepted("list length %d", n)
	}
	meta := withTrace(ctx, metadata(r.headers, ev, d))
	values := make([]any, 0, 2+2*len(meta))
	values = append(values, StreamBodyField, ev.Body)
	for _, h := range meta {
		values = append(values, h.name, h.value)
	}
	id, err := r.client.XAdd(ctx, &redis.XAddArgs{
		Stream: r.stream,
		MaxLen: r.maxLen,
		Approx: r.maxLen > 0,
		Values: values,
	}).Result()
	if err != nil {
		return failed(r.describe("add to stream "+r.stream, err))
	}
	return accepted("stream entry %s", id)
}

// describe says what failed doing op.
func (r *Redis) describe(op string, err error) error {
	if errors.Is(err, redis.ErrClosed) {
		return errClosed
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Close closes the client's connections. Deliveries after Close fail.
func (r *Redis) Close() error {
	if err := r.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
		return err
	}
	return nil
}
