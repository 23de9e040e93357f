package verify

import (
	"bytes"
	"encoding/json"
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

// stringField returns a function that reads the top-level string field name
// of a JSON object body, or "" when it is absent or not a string.
func stringField(name string) func(body []byte) string {
	return func(body []byte) string {
		_, v, ok := topLevelKey(body, func(k string) bool { return k == name })
		if !ok {
			return ""
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			return ""
		}
		return s
	}
}
