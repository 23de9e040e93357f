package verify

import (
	"crypto/hmac"
	"crypto/sha512"
	"net/http"
	"strconv"
	"strings"
)

var (
	_ Provider = (*scheme)(nil)
	_ Signer   = (*scheme)(nil)
)

// Verify implements Provider. It reads the signed headers, bounds the
// timestamp, then computes the MAC under each key and compares it with every
// provided signature, as bytes, in constant time.
func (s *scheme) Verify(r *Request) error {
	var buf [4 * sha512.Size]byte // room for a few signatures without allocating
	sigs, f := s.signatures(buf[:0], r.Header)
	if f != nil {
		return f
	}
	id, ts, f := s.signedHeaders(r)
	if f != nil {
		return f
	}
	if s.jsonObject && !isJSONObject(r.Body) {
		return &Failure{Reason: "body is not a JSON object"}
	}
	size := s.hash.Size()
	for _, key := range s.keys {
		mac := s.sum(nil, key, id, ts, r.Body)
		for i := 0; i < len(sigs); i += size {
			if hmac.Equal(mac, sigs[i:i+size]) {
				return nil
			}
		}
	}
	return &Failure{Reason: "signature mismatch"}
}

// signatures decodes the provided signatures, each s.hash.Size() bytes,
// appended to dst.
func (s *scheme) signatures(dst []byte, h http.Header) ([]byte, *Failure) {
	values := h[s.canonical.header]
	switch {
	case len(values) == 0:
		return nil, &Failure{Reason: "missing " + s.header + " header"}
	case !s.list && len(values) > 1:
		return nil, &Failure{Reason: "multiple " + s.header + " headers"}
	case !s.list:
		sig, ok := strings.CutPrefix(values[0], s.prefix)
		if !ok {
			return nil, s.malformed()
		}
		return s.appendDecoded(dst, sig)
	}
	var versioned bool // some entry had our prefix
	for _, v := range values {
		for entry := range strings.SplitSeq(v, " ") {
			sig, ok := strings.CutPrefix(entry, s.prefix)
			if !ok {
				continue // empty, or another version
			}
			versioned = true
			if d, f := s.appendDecoded(dst, sig); f == nil {
				dst = d
			}
		}
	}
	switch {
	case len(dst) > 0:
		return dst, nil
	case versioned:
		return nil, s.malformed()
	}
	version := strings.TrimRight(s.prefix, ",=")
	return nil, &Failure{Reason: "no " + version + " signature in " + s.header + " header"}
}

func (s *scheme) appendDecoded(dst []byte, sig string) ([]byte, *Failure) {
	n := len(dst)
	dst = append(dst, make([]byte, s.hash.Size())...)
	if !s.encoding.decode(dst[n:], sig) {
		return nil, s.malformed()
	}
	return dst, nil
}

func (s *scheme) malformed() *Failure {
	return &Failure{Reason: "malformed " + s.header + " header"}
}

// signedHeaders returns the signed id and timestamp (empty when the scheme
// does not sign them), with the timestamp within tolerance of r.Now.
func (s *scheme) signedHeaders(r *Request) (id, ts string, f *Failure) {
	if s.signs == signsBody {
		return "", "", nil
	}
	if s.signs == signsIDTimestampBody {
		if id, f = single(r.Header, s.idHeader, s.canonical.id); f != nil {
			return "", "", f
		}
	}
	if ts, f = single(r.Header, s.timestampHeader, s.canonical.timestamp); f != nil {
		return "", "", f
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || strconv.FormatInt(sec, 10) != ts {
		return "", "", &Failure{Reason: "malformed " + s.timestampHeader + " header"}
	}
	// Compare in seconds: a time.Duration would overflow for far timestamps.
	now, tol := r.Now.Unix(), int64(s.tolerance.Seconds())
	if sec < now-tol || sec > now+tol {
		return "", "", &Failure{Reason: "timestamp outside tolerance"}
	}
	return id, ts, nil
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
