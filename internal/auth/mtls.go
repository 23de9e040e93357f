package auth

import (
	"net/http"
	"strings"

	"github.com/hookgate/hookgate/internal/config"
)

// mtls requires a TLS client certificate that the server verified against
// its client CAs (r.TLS.VerifiedChains), optionally one whose subject
// common name or a DNS subject alternative name is in subjects. The TLS
// listener must ask for and verify client certificates
// (tls.VerifyClientCertIfGiven or tls.RequireAndVerifyClientCert): a
// certificate that was only received, not verified, is refused.
type mtls struct {
	subjects []string // lower case; empty means any verified certificate
}

func newMTLS(c *config.MTLS) *mtls {
	m := &mtls{}
	for _, s := range c.Subjects {
		m.subjects = append(m.subjects, strings.ToLower(s))
	}
	return m
}

func (m *mtls) authenticate(r *http.Request) *Failure {
	if r.TLS == nil {
		return forbidden("client certificate required (not a TLS connection)")
	}
	if len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return forbidden("verified client certificate required")
	}
	if len(m.subjects) == 0 {
		return nil
	}
	leaf := r.TLS.VerifiedChains[0][0]
	names := append([]string{leaf.Subject.CommonName}, leaf.DNSNames...)
	for _, n := range names {
		for _, s := range m.subjects {
			if n != "" && strings.ToLower(n) == s {
				return nil
			}
		}
	}
	return forbidden("client certificate subject not allowed")
}
