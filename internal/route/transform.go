package route

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// maxKey is the longest ordering key kept as it is; longer ones, and keys
// that are not UTF-8, are replaced by their SHA-256 (same key, same hash),
// so that every key fits the stores' indexes.
const maxKey = 128

// output is what a matching route asks of its deliveries.
type output struct {
	body   []byte // nil: the event's own
	header http.Header
	key    string
}

// output evaluates the route's transform and ordering key for v.
func (r *Route) output(v *vars) (output, error) {
	var o output
	json := false
	if r.body != nil {
		val, _, err := r.body.Eval(v)
		if err != nil {
			return o, fmt.Errorf("transform.body: %w", err)
		}
		if o.body, json, err = encodeBody(val); err != nil {
			return o, fmt.Errorf("transform.body: %w", err)
		}
	}
	if len(r.headers) > 0 || json {
		o.header = make(http.Header, len(r.headers)+1)
		if json {
			o.header.Set("Content-Type", "application/json")
		}
	}
	for _, h := range r.headers {
		val, _, err := h.prog.Eval(v)
		if err != nil {
			return o, fmt.Errorf("transform.headers.%s: %w", h.name, err)
		}
		s, ok := val.(types.String)
		if !ok {
			return o, fmt.Errorf("transform.headers.%s: value of type %s, want string", h.name, val.Type())
		}
		if strings.ContainsAny(string(s), "\r\n\x00") {
			return o, fmt.Errorf("transform.headers.%s: value holds a line break or NUL", h.name)
		}
		o.header[h.name] = []string{string(s)}
	}
	if r.key != nil {
		val, _, err := r.key.Eval(v)
		if err != nil {
			return o, fmt.Errorf("ordering.key: %w", err)
		}
		s, ok := val.(types.String)
		if !ok {
			return o, fmt.Errorf("ordering.key: value of type %s, want string", val.Type())
		}
		o.key = normalizeKey(string(s))
	}
	return o, nil
}

// normalizeKey returns key, or its SHA-256 when it is too long or not UTF-8.
func normalizeKey(key string) string {
	if len(key) <= maxKey && utf8.ValidString(key) && !strings.ContainsRune(key, 0) {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// encodeBody turns a transform's value into a body: strings and bytes as
// they are, anything else as JSON (json is then true).
func encodeBody(v ref.Val) (body []byte, json bool, err error) {
	switch x := v.(type) {
	case types.String:
		return []byte(x), false, nil
	case types.Bytes:
		return []byte(x), false, nil
	}
	native, err := toJSON(v, 0)
	if err != nil {
		return nil, false, err
	}
	var buf bytes.Buffer
	enc := jsonEncoder(&buf)
	if err := enc.Encode(native); err != nil {
		return nil, false, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), true, nil
}

func jsonEncoder(buf *bytes.Buffer) *json.Encoder {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return enc
}

// maxDepth bounds the nesting of a value encoded as JSON.
const maxDepth = 100

// toJSON converts a CEL value to what encoding/json encodes as the JSON
// CEL's own conversion would give: maps (with string keys) as objects,
// lists as arrays, bytes as base64, timestamps as RFC 3339 and durations as
// seconds with an "s", as in protobuf's JSON.
func toJSON(v ref.Val, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("value nested deeper than %d", maxDepth)
	}
	switch x := v.(type) {
	case types.Null:
		return nil, nil
	case types.Bool:
		return bool(x), nil
	case types.Int:
		return int64(x), nil
	case types.Uint:
		return uint64(x), nil
	case types.Double:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("%v has no JSON form", float64(x))
		}
		return float64(x), nil
	case types.String:
		return string(x), nil
	case types.Bytes:
		return base64.StdEncoding.EncodeToString(x), nil
	case types.Timestamp:
		return x.Time.UTC().Format(time.RFC3339Nano), nil
	case types.Duration:
		return fmt.Sprintf("%gs", x.Duration.Seconds()), nil
	case traits.Mapper:
		return mapToJSON(x, depth)
	case traits.Lister:
		n, ok := x.Size().(types.Int)
		if !ok {
			return nil, fmt.Errorf("list of unknown size")
		}
		out := make([]any, n)
		for i := range int(n) {
			e, err := toJSON(x.Get(types.Int(i)), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	}
	if types.IsError(v) {
		return nil, v.Value().(error)
	}
	return nil, fmt.Errorf("a value of type %s has no JSON form", v.Type())
}

func mapToJSON(m traits.Mapper, depth int) (any, error) {
	out := map[string]any{}
	for it := m.Iterator(); it.HasNext() == types.True; {
		k := it.Next()
		ks, ok := k.(types.String)
		if !ok {
			return nil, fmt.Errorf("map key of type %s, want string", k.Type())
		}
		e, err := toJSON(m.Get(k), depth+1)
		if err != nil {
			return nil, err
		}
		out[string(ks)] = e
	}
	return out, nil
}
