package tlsconf

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// certFiles serves a certificate read from a cert and a key file, and reads
// them again when either changes on disk. Changes are noticed on a
// handshake, looking at the files at most every checkEvery; there is no
// goroutine to own. A new pair that does not load is logged (once per
// change) and the old one kept; it is tried again on later checks, so a
// pair written one file at a time loads once both are in place.
type certFiles struct {
	certPath, keyPath string
	checkEvery        time.Duration
	now               func() time.Time
	log               *slog.Logger

	cert atomic.Pointer[tls.Certificate] // what handshakes get

	mu       sync.Mutex // serialises checks; guards the fields below
	next     time.Time  // when the files may be looked at again
	loaded   stamp      // the files as they were when cert was read
	rejected stamp      // the files as they were when a load last failed
	lastErr  string     // why it failed
}

// stamp is what tells that a file changed: modification time and size, of
// both files.
type stamp struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
}

func newCertFiles(certPath, keyPath string, o Options) (*certFiles, error) {
	f := &certFiles{certPath: certPath, keyPath: keyPath, checkEvery: o.CheckEvery, now: o.Now, log: o.Logger}
	st, err := f.stat()
	if err != nil {
		return nil, err
	}
	cert, err := f.load()
	if err != nil {
		return nil, err
	}
	if err := f.expired(cert); err != nil {
		f.log.Warn("tls certificate has expired; serving it until the files change", "err", err)
	}
	f.cert.Store(cert)
	f.loaded = st
	f.next = f.now().Add(f.checkEvery)
	return f, nil
}

// getCertificate is tls.Config.GetCertificate.
func (f *certFiles) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	f.check()
	return f.cert.Load(), nil
}

// check reads the files again if they changed and the last look is
// checkEvery old. A handshake that finds another one checking does not
// wait for it.
func (f *certFiles) check() {
	if !f.mu.TryLock() {
		return
	}
	defer f.mu.Unlock()
	now := f.now()
	if now.Before(f.next) {
		return
	}
	f.next = now.Add(f.checkEvery)
	st, err := f.stat()
	if err == nil && st == f.loaded {
		return
	}
	if err == nil {
		var cert *tls.Certificate
		if cert, err = f.load(); err == nil {
			err = f.expired(cert)
		}
		if err == nil {
			f.cert.Store(cert)
			f.loaded, f.rejected, f.lastErr = st, stamp{}, ""
			f.log.Info("tls certificate reloaded", "cert_file", f.certPath,
				"subject", cert.Leaf.Subject.String(), "not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
			return
		}
	}
	if st != f.rejected || err.Error() != f.lastErr {
		f.log.Error("tls certificate not reloaded, keeping the current one", "cert_file", f.certPath, "key_file", f.keyPath, "err", err)
	}
	f.rejected, f.lastErr = st, err.Error()
}

func (f *certFiles) stat() (stamp, error) {
	c, err := os.Stat(f.certPath)
	if err != nil {
		return stamp{}, fmt.Errorf("tls cert_file: %w", err)
	}
	k, err := os.Stat(f.keyPath)
	if err != nil {
		return stamp{}, fmt.Errorf("tls key_file: %w", err)
	}
	return stamp{certMod: c.ModTime(), keyMod: k.ModTime(), certSize: c.Size(), keySize: k.Size()}, nil
}

// load reads the pair.
func (f *certFiles) load() (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(f.certPath, f.keyPath)
	if err != nil {
		return nil, fmt.Errorf("load tls certificate: %w", err)
	}
	if cert.Leaf == nil {
		return nil, errors.New("load tls certificate: no leaf certificate")
	}
	return &cert, nil
}

// expired refuses a new certificate that has expired: the one in use can
// only be better.
func (f *certFiles) expired(cert *tls.Certificate) error {
	if end := cert.Leaf.NotAfter; f.now().After(end) {
		return fmt.Errorf("%s expired at %s", f.certPath, end.UTC().Format(time.RFC3339))
	}
	return nil
}
