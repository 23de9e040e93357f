package verify

import (
	"crypto/hmac"
	"crypto/sha512"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"
)

var (
	_ Provider      = (*scheme)(nil)
	_ Signer        = (*scheme)(nil)
	_ MethodAllower = (*scheme)(nil)
)

// message is what a scheme's MAC covers, besides its literal text.
type message struct {
	id, ts, method, url, endpoint string
	body                          []byte
}

// Verify implements Provider. It reads the signatures and the signed
// fields, bounds the timestamp, then computes the MAC under each key and
// compares it with every provided signature, as bytes, in constant time.
func (s *scheme) Verify(r *Request) error {
	var buf [4 * sha512.Size]byte // room for a few signatures without allocating
	sigs, ts, f := s.signatures(buf[:0], r.Header)
	if f != nil {
		return f
	}
	m, f := s.message(r, ts)
	if f != nil {
		return f
	}
	if s.jsonObject && !isJSONObject(r.Body) {
		return &Failure{Reason: "body is not a JSON object"}
	}
	size := s.hash.Size()
	for _, key := range s.keys {
		mac := s.sum(nil, key, m)
		for i := 0; i < len(sigs); i += size {
			if hmac.Equal(mac, sigs[i:i+size]) {
				return nil
			}
		}
	}
	return &Failure{Reason: "signature mismatch"}
}

// signatures decodes the provided signatures, each s.hash.Size() bytes,
// appended to dst, and returns the timestamp entry of a list (tsField).
func (s *scheme) signatures(dst []byte, h http.Header) (sigs []byte, ts string, f *Failure) {
	present := false
	for i, key := range s.canonical.headers {
		values := h[key]
		if len(values) == 0 {
			continue
		}
		present = true
		name := s.header
		if i > 0 {
			name = s.altHeaders[i-1]
		}
		if s.listSep == "" {
			if len(values) > 1 {
				return nil, "", &Failure{Reason: "multiple " + name + " headers"}
			}
			sig, ok := strings.CutPrefix(values[0], s.prefix)
			d, ok := s.appendDecoded(dst, sig, ok)
			if ok {
				dst = d
			} else if f == nil {
				f = &Failure{Reason: "malformed " + name + " header"}
			}
			continue
		}
		if dst, ts, f = s.list(dst, ts, name, values); f != nil {
			return nil, "", f
		}
	}
	switch {
	case !present:
		return nil, "", &Failure{Reason: "missing " + s.header + " header"}
	case len(dst) > 0:
		f = nil
	case f != nil:
	case s.listSep != "":
		version := strings.TrimRight(s.prefix, ",=")
		f = &Failure{Reason: "no " + version + " signature in " + s.header + " header"}
	}
	if f == nil && s.tsField != "" && ts == "" {
		f = &Failure{Reason: "no timestamp in " + s.header + " header"}
	}
	return dst, ts, f
}

// list reads the entries of a list header's lines: signatures (appended to
// dst, skipping those that do not decode) and the timestamp entry.
func (s *scheme) list(dst []byte, ts, name string, values []string) ([]byte, string, *Failure) {
	var versioned bool // some entry had our prefix
	n := len(dst)
	for _, v := range values {
		for entry := range strings.SplitSeq(v, s.listSep) {
			entry = strings.Trim(entry, " \t")
			if s.tsField != "" {
				if t, ok := strings.CutPrefix(entry, s.tsField); ok {
					if ts != "" && ts != t {
						return nil, "", &Failure{Reason: "malformed " + name + " header"}
					}
					ts = t
					continue
				}
			}
			sig, ok := strings.CutPrefix(entry, s.prefix)
			if !ok {
				continue // empty, or another version
			}
			versioned = true
			if d, ok := s.appendDecoded(dst, sig, true); ok {
				dst = d
			}
		}
	}
	if versioned && len(dst) == n {
		return nil, "", &Failure{Reason: "malformed " + name + " header"}
	}
	return dst, ts, nil
}

// appendDecoded appends the decoded sig to dst; ok is false when sig is not
// one encoded MAC (or when ok is already false).
func (s *scheme) appendDecoded(dst []byte, sig string, ok bool) ([]byte, bool) {
	if !ok {
		return dst, false
	}
	n := len(dst)
	dst = append(dst, make([]byte, s.hash.Size())...)
	if !s.encoding.decode(dst[n:], sig) {
		return dst[:n], false
	}
	return dst, true
}

// message reads the signed fields of r: id, timestamp (within tolerance
// of r.Now), and the URL.
func (s *scheme) message(r *Request, ts string) (message, *Failure) {
	m := message{method: r.Method, body: r.Body}
	var f *Failure
	if s.idHeader != "" {
		if m.id, f = single(r.Header, s.idHeader, s.canonical.id); f != nil {
			return m, f
		}
	}
	if s.timestampHeader != "" && s.tsField == "" {
		if ts, f = single(r.Header, s.timestampHeader, s.canonical.timestamp); f != nil {
			return m, f
		}
	}
	if s.timestamped() {
		name := s.timestampHeader
		if s.tsField != "" {
			name = s.header
		}
		if f = checkTime(ts, s.timestampFormat, name, r.Now, s.tolerance); f != nil {
			return m, f
		}
		m.ts = ts
	}
	if s.uses(urlPart) {
		if m.url, f = requestURL(s.publicURL, r); f != nil {
			return m, f
		}
		m.url = decodeEscapes(m.url, s.decodeEscapes)
	}
	if s.uses(endpointPart) {
		if m.endpoint, f = endpoint(s.publicURL, r); f != nil {
			return m, f
		}
	}
	return m, nil
}

// checkTime parses the timestamp ts (named for reasons) and checks that it
// is within tol of now, in the past or the future.
func checkTime(ts string, format timeFormat, name string, now time.Time, tol time.Duration) *Failure {
	malformed := &Failure{Reason: "malformed " + name + " header"}
	outside := &Failure{Reason: "timestamp outside tolerance"}
	if format == rfc3339 {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return malformed
		}
		// Sub saturates, so far timestamps cannot overflow.
		if d := now.Sub(t); d > tol || d < -tol {
			return outside
		}
		return nil
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != ts {
		return malformed
	}
	// Compare as integers: a time.Duration would overflow for far timestamps.
	cur, bound := now.Unix(), int64(tol/time.Second)
	if format == unixMillis {
		cur, bound = now.UnixMilli(), tol.Milliseconds()
	}
	if n < cur-bound || n > cur+bound {
		return outside
	}
	return nil
}

// single returns the one non-empty value of the header name, whose
// canonical form is key.
func single(h http.Header, name, key string) (string, *Failure) {
	values := h[key]
	switch {
	case len(values) == 0:
		return "", &Failure{Reason: "missing " + name + " header"}
	case len(values) > 1:
		return "", &Failure{Reason: "multiple " + name + " headers"}
	case values[0] == "":
		return "", &Failure{Reason: "malformed " + name + " header"}
	}
	return values[0], nil
}

// sum appends to dst the MAC under key of the message.
func (s *scheme) sum(dst, key []byte, m message) []byte {
	var h hash.Hash
	if s.mac == hmacMAC {
		h = hmac.New(s.hash.New, key)
	} else {
		h = s.hash.New()
	}
	if s.mac == keyThenMessage {
		h.Write(key)
	}
	for _, p := range s.parts {
		switch p.kind {
		case literalPart:
			h.Write([]byte(p.text))
		case idPart:
			h.Write([]byte(m.id))
		case timestampPart:
			h.Write([]byte(m.ts))
		case bodyPart:
			h.Write(m.body)
		case methodPart:
			h.Write([]byte(m.method))
		case urlPart:
			h.Write([]byte(m.url))
		case endpointPart:
			h.Write([]byte(m.endpoint))
		}
	}
	if s.mac == messageThenKey {
		h.Write(key)
	}
	return h.Sum(dst)
}
