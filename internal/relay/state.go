package relay

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hookgate/hookgate/internal/listen"
)

// DefaultRemember is how many attempts a State remembers.
const DefaultRemember = 10_000

// maxStateBody caps the answer's body kept per attempt.
const maxStateBody = 1 << 10

// Entry is one attempt a listener handled, as its state file keeps it.
type Entry struct {
	EventID string        `json:"event_id"`
	At      time.Time     `json:"at"`
	Report  listen.Report `json:"report"`
}

// State is the listener's memory of the attempts it handled and what it
// reported, in a file of JSON lines, so that an attempt the gateway sends
// again (its report was lost when the stream broke, or the listener was
// killed before reporting) is answered from here instead of reaching the
// local app twice. It keeps the last Remember attempts: the file is
// rewritten when it holds twice as many lines. It is safe for concurrent
// use.
//
// Each entry is appended with one write, after the local app answered and
// before the report is sent. The one gap left: a listener killed between
// the local app's answer and that write forwards the attempt again when it
// comes back (the request carries Hookgate-Event-Id for the app to spot
// it).
type State struct {
	path     string
	remember int

	mu    sync.Mutex
	f     *os.File
	m     map[string]Entry
	order []string // keys, oldest first
	lines int      // lines in the file
}

// key names an attempt.
func key(deliveryID string, attempt int) string { return fmt.Sprintf("%s/%d", deliveryID, attempt) }

// OpenState opens (or creates) the state file at path, keeping the last
// remember attempts (DefaultRemember when 0). A line that cannot be read (a
// write cut short by a crash) is skipped.
func OpenState(path string, remember int) (*State, error) {
	if remember <= 0 {
		remember = DefaultRemember
	}
	s := &State{path: path, remember: remember, m: map[string]Entry{}}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state folder: %w", err)
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	if err := s.reopen(); err != nil {
		return nil, err
	}
	if s.lines > 2*s.remember {
		if err := s.compact(); err != nil {
			s.f.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *State) load() error {
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open state: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		s.lines++
		var e Entry
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Report.DeliveryID == "" {
			continue
		}
		s.add(e)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read state %s: %w", s.path, err)
	}
	return nil
}

func (s *State) reopen() error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open state: %w", err)
	}
	s.f = f
	return nil
}

// add remembers e, forgetting the oldest beyond remember (s.mu held).
func (s *State) add(e Entry) {
	k := key(e.Report.DeliveryID, e.Report.Attempt)
	if _, ok := s.m[k]; !ok {
		s.order = append(s.order, k)
	}
	s.m[k] = e
	for len(s.order) > s.remember {
		delete(s.m, s.order[0])
		s.order = s.order[1:]
	}
}

// Lookup returns what was reported for an attempt, if it is remembered.
func (s *State) Lookup(deliveryID string, attempt int) (Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key(deliveryID, attempt)]
	return e, ok
}

// Save remembers an attempt's report, on disk before it returns.
func (s *State) Save(e Entry) error {
	e.Report.Body = e.Report.Body[:min(len(e.Report.Body), maxStateBody)]
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode state entry: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	s.lines++
	s.add(e)
	if s.lines > 2*s.remember {
		return s.compact()
	}
	return nil
}

// compact rewrites the file with the remembered entries only (s.mu held).
func (s *State) compact() error {
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("compact state: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, k := range s.order {
		b, _ := json.Marshal(s.m[k])
		w.Write(append(b, '\n'))
	}
	err = errors.Join(w.Flush(), f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compact state: %w", err)
	}
	s.f.Close()
	s.lines = len(s.order)
	return s.reopen()
}

// Len is how many attempts are remembered.
func (s *State) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// Close closes the file.
func (s *State) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}
