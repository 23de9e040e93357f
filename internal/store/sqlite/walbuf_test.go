package sqlite

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/ncruces/go-sqlite3/vfs"
)

// memFile is a vfs.File in memory that records the writes reaching it.
type memFile struct {
	vfs.File // nil: only the methods below are called
	data     []byte
	writes   int
	syncs    int
}

func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	m.writes++
	if end := int(off) + len(p); end > len(m.data) {
		m.data = append(m.data, make([]byte, end-len(m.data))...)
	}
	return copy(m.data[off:], p), nil
}

func (m *memFile) ReadAt(p []byte, off int64) (int, error) { return copy(p, m.data[off:]), nil }
func (m *memFile) Sync(vfs.SyncFlag) error                 { m.syncs++; return nil }
func (m *memFile) Size() (int64, error)                    { return int64(len(m.data)), nil }
func (m *memFile) Close() error                            { return nil }

// frame returns a WAL frame header; commit frames carry the database size.
func frame(commit bool) []byte {
	h := make([]byte, walFrameHeaderSize)
	if commit {
		binary.BigEndian.PutUint32(h[4:8], 42)
	}
	return h
}

func TestWALFileGathersWrites(t *testing.T) {
	t.Parallel()
	const page = 512
	m := &memFile{}
	f := &walFile{File: m}
	var want []byte
	write := func(p []byte) {
		t.Helper()
		if n, err := f.WriteAt(p, int64(len(want))); err != nil || n != len(p) {
			t.Fatalf("WriteAt = %d, %v", n, err)
		}
		want = append(want, p...)
	}

	// A transaction of three frames, the last one the commit: one write,
	// made when the commit frame is complete.
	write(bytes.Repeat([]byte{'H'}, walHeaderSize))
	for i, commit := range []bool{false, false, true} {
		write(frame(commit))
		write(bytes.Repeat([]byte{byte('a' + i)}, page))
		if i < 2 && m.writes != 0 {
			t.Fatalf("frame %d reached the file before the commit", i)
		}
	}
	if m.writes != 1 || !bytes.Equal(m.data, want) {
		t.Fatalf("after the commit: %d writes, file equal %v; want 1 write of it all", m.writes, bytes.Equal(m.data, want))
	}

	// A frame without its commit is written by Sync, before the sync.
	write(frame(false))
	write(bytes.Repeat([]byte{'x'}, page))
	if err := f.Sync(0); err != nil || m.writes != 2 || !bytes.Equal(m.data, want) {
		t.Fatalf("Sync: %v, %d writes; want the buffer written", err, m.writes)
	}

	// A write elsewhere (a frame overwritten in place) writes the buffer
	// first; a read sees everything written.
	write(frame(false))
	write(bytes.Repeat([]byte{'y'}, page))
	if _, err := f.WriteAt([]byte("zz"), walHeaderSize); err != nil {
		t.Fatal(err)
	}
	copy(want[walHeaderSize:], "zz")
	got := make([]byte, len(want))
	if _, err := f.ReadAt(got, 0); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("ReadAt after an overwrite: %v, equal %v", err, bytes.Equal(got, want))
	}

	// Close drops frames of a transaction that never committed.
	n := len(m.data)
	write(frame(false))
	write(bytes.Repeat([]byte{'q'}, page))
	if err := f.Close(); err != nil || len(m.data) != n {
		t.Fatalf("Close: %v, file grew from %d to %d bytes", err, n, len(m.data))
	}
}
