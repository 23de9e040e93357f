package auth

import (
	"crypto/sha256"
	"crypto/subtle"
)

// secrets is a set of accepted secrets, kept as SHA-256 digests so that
// every comparison is between equal-length values.
type secrets struct {
	digests [][sha256.Size]byte
	// compare is subtle.ConstantTimeCompare; tests count its calls.
	compare func(a, b []byte) int
}

// newSecrets returns the set of the non-empty values of list.
func newSecrets(list ...string) *secrets {
	s := &secrets{compare: subtle.ConstantTimeCompare}
	for _, v := range list {
		if v != "" {
			s.digests = append(s.digests, sha256.Sum256([]byte(v)))
		}
	}
	return s
}

// match reports whether presented is one of the secrets. It compares with
// every one, whichever matches, and takes the same time for any presented
// value of a given length.
func (s *secrets) match(presented string) bool {
	d := sha256.Sum256([]byte(presented))
	found := 0
	for i := range s.digests {
		found |= s.compare(d[:], s.digests[i][:])
	}
	return found == 1
}
