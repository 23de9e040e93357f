package queue

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/destination"
)

func TestRedisStream(t *testing.T) {
	t.Parallel()
	testBroker(t, broker{env: envRedis, open: openRedisStream, anyBody: true, headers: true})
}

func TestRedisList(t *testing.T) {
	t.Parallel()
	testBroker(t, broker{env: envRedis, open: openRedisList, anyBody: true})
}

// openRedisStream adds to a fresh stream, read back with XREAD.
func openRedisStream(t *testing.T, srv, addr string) (destination.Destination, consumer) {
	key := uniqueName("hookgate-test:")
	rc := redisClient(t, srv)
	dst := newRedis(t, RedisConfig{Addr: addr, Stream: key, Headers: map[string]string{"X-Team": "core"}})
	last := "0"
	return dst, func(t *testing.T) message {
		t.Helper()
		streams, err := rc.XRead(t.Context(), &redis.XReadArgs{Streams: []string{key, last}, Count: 1, Block: 10 * time.Second}).Result()
		if err != nil {
			t.Fatalf("XREAD %s: %v", key, err)
		}
		e := streams[0].Messages[0]
		last = e.ID
		m := message{Header: map[string]string{}}
		for k, v := range e.Values {
			if k == StreamBodyField {
				m.Body = []byte(v.(string))
			} else {
				m.Header[k] = v.(string)
			}
		}
		return m
	}
}

// openRedisList pushes onto a fresh list, read back with BLPOP.
func openRedisList(t *testing.T, srv, addr string) (destination.Destination, consumer) {
	key := uniqueName("hookgate-test:")
	rc := redisClient(t, srv)
	dst := newRedis(t, RedisConfig{Addr: addr, List: key})
	return dst, func(t *testing.T) message {
		t.Helper()
		kv, err := rc.BLPop(t.Context(), 10*time.Second, key).Result()
		if err != nil {
			t.Fatalf("BLPOP %s: %v", key, err)
		}
		return message{Body: []byte(kv[1])}
	}
}

func newRedis(t *testing.T, cfg RedisConfig) *Redis {
	t.Helper()
	r, err := NewRedis(cfg)
	if err != nil {
		t.Fatalf("NewRedis: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// redisClient is the test's own client, for reading back.
func redisClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rc.Close() })
	return rc
}

func TestRedisLeftPush(t *testing.T) {
	t.Parallel()
	srv := server(t, envRedis)
	key := uniqueName("hookgate-test:")
	rc := redisClient(t, srv)
	dst := newRedis(t, RedisConfig{Addr: srv, List: key, LeftPush: true})
	for _, body := range []string{"first", "second"} {
		ev := testEvent([]byte(body))
		if r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev)); deliver.Classify(r) != deliver.Success {
			t.Fatalf("Deliver = %+v", r)
		}
	}
	got, err := rc.LRange(t.Context(), key, 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "second,first" {
		t.Errorf("list = %q, want [second first] (LPUSH puts the newest at the head)", got)
	}
}

func TestRedisMaxLen(t *testing.T) {
	t.Parallel()
	srv := server(t, envRedis)
	key := uniqueName("hookgate-test:")
	rc := redisClient(t, srv)
	dst := newRedis(t, RedisConfig{Addr: srv, Stream: key, MaxLen: 10})
	for range 500 {
		ev := testEvent([]byte("x"))
		if r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev)); deliver.Classify(r) != deliver.Success {
			t.Fatalf("Deliver = %+v", r)
		}
	}
	// MAXLEN ~ trims whole nodes (100 entries by default), so "about 10"
	// is at most a node more.
	n, err := rc.XLen(t.Context(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 || n > 110 {
		t.Errorf("stream length = %d after 500 adds with maxlen 10, want 10 to 110", n)
	}
}

func TestNewRedisErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  RedisConfig
		want string
	}{
		{"no addr", RedisConfig{Stream: "s"}, "want host:port"},
		{"neither", RedisConfig{Addr: "h:6379"}, "set one of stream and list"},
		{"both", RedisConfig{Addr: "h:6379", Stream: "s", List: "l"}, "set one of stream and list"},
		{"maxlen on a list", RedisConfig{Addr: "h:6379", List: "l", MaxLen: 5}, "maxlen: only for a stream"},
		{"headers on a list", RedisConfig{Addr: "h:6379", List: "l", Headers: map[string]string{"A": "b"}}, "headers:"},
		{"lpush on a stream", RedisConfig{Addr: "h:6379", Stream: "s", LeftPush: true}, "push: only for a list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewRedis(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewRedis = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
