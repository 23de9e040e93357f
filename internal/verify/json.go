package verify

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// isJSONObject reports whether b, after JSON whitespace, starts an object.
// It does not check the rest: that is only a cheap domain separation.
func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// topLevelKey returns the first top-level key of the JSON object body for
// which match is true, and its raw value. ok is false when there is none or
// the body is not JSON. It reads no further than that key's value.
func topLevelKey(body []byte, match func(key string) bool) (key string, value json.RawMessage, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", nil, false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", nil, false
		}
		k, isString := t.(string)
		if !isString {
			return "", nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return "", nil, false
		}
		if match(k) {
			return k, v, true
		}
	}
	return "", nil, false
}

// jsonAt returns the raw value at path in the JSON body: object keys, and
// decimal indexes into arrays. ok is false when there is none. It reads
// object keys as topLevelKey does: the first of a repeated key wins.
func jsonAt(body []byte, path ...string) (value json.RawMessage, ok bool) {
	value = body
	for _, step := range path {
		if v, found := arrayItem(value, step); found {
			value = v
			continue
		}
		if _, value, ok = topLevelKey(value, func(k string) bool { return k == step }); !ok {
			return nil, false
		}
	}
	return value, true
}

// arrayItem returns item i (a decimal string) of the JSON array b.
func arrayItem(b []byte, i string) (json.RawMessage, bool) {
	n, err := strconv.Atoi(i)
	if err != nil || n < 0 || strconv.Itoa(n) != i {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return nil, false
	}
	for k := 0; dec.More(); k++ {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		if k == n {
			return v, true
		}
	}
	return nil, false
}

// jsonScalar returns the string (or, with numbers, the number) at path in
// the JSON body, or "" when it is absent or something else.
func jsonScalar(body []byte, numbers bool, path ...string) string {
	v, ok := jsonAt(body, path...)
	if !ok {
		return ""
	}
	return scalar(v, numbers)
}

// scalar returns a JSON string's value, or with numbers a number's text;
// "" otherwise.
func scalar(v json.RawMessage, numbers bool) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return ""
	}
	switch c := v[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			return ""
		}
		return s
	case numbers && (c == '-' || '0' <= c && c <= '9'):
		var n json.Number
		if json.Unmarshal(v, &n) != nil {
			return ""
		}
		return n.String()
	}
	return ""
}
