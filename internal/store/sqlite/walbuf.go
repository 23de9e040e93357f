package sqlite

import (
	"encoding/binary"

	"github.com/ncruces/go-sqlite3/vfs"
)

// SQLite writes each WAL frame as two writes, the 24-byte frame header and
// then the page, so a commit of n pages costs 2n write syscalls; with small
// events that was a fifth of the writer's time. walVFS is the OS VFS with
// the WAL file's writes gathered: back-to-back appends are buffered and
// written with one syscall when the commit frame is complete, before any
// read, sync, truncate or size of the file, when the next write is not an
// append, and when the buffer is full. Nothing is acknowledged in between
// (a commit is only done once it is fsynced, and Sync writes the buffer
// first), so what reaches the disk, and when it must, is unchanged; only the
// number of syscalls drops.
type walVFS struct {
	base vfs.VFSFilename
}

// walVFSName is the name walVFS is registered under.
const walVFSName = "hookgate-wal"

func init() {
	// The registry is SQLite's, process-wide, like the OS VFS it wraps.
	vfs.Register(walVFSName, walVFS{base: vfs.Find("").(vfs.VFSFilename)})
}

func (v walVFS) Open(name string, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	return v.OpenFilename(nil, flags)
}

func (v walVFS) OpenFilename(name *vfs.Filename, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	f, flags, err := v.base.OpenFilename(name, flags)
	if err != nil || flags&vfs.OPEN_WAL == 0 {
		return f, flags, err
	}
	return &walFile{File: f}, flags, nil
}

func (v walVFS) Delete(name string, syncDir bool) error { return v.base.Delete(name, syncDir) }

func (v walVFS) Access(name string, flags vfs.AccessFlag) (bool, error) {
	return v.base.Access(name, flags)
}

func (v walVFS) FullPathname(name string) (string, error) { return v.base.FullPathname(name) }

const (
	walHeaderSize      = 32
	walFrameHeaderSize = 24
	walBufferSize      = 1 << 20
)

// walFile buffers appends to one connection's handle on a WAL file. SQLite
// uses a handle from one goroutine at a time.
type walFile struct {
	vfs.File
	buf    []byte
	off    int64 // where buf starts in the file
	commit bool  // the last frame header written was a commit frame's
}

func (f *walFile) WriteAt(p []byte, off int64) (int, error) {
	if len(f.buf) > 0 && off != f.off+int64(len(f.buf)) {
		if err := f.flush(); err != nil {
			return 0, err
		}
	}
	if len(f.buf) == 0 {
		f.off = off
	}
	if len(p) == walFrameHeaderSize && off >= walHeaderSize {
		// The header's second word is the database size after a commit,
		// and 0 in the other frames of a transaction.
		f.commit = binary.BigEndian.Uint32(p[4:8]) != 0
		f.buf = append(f.buf, p...)
		return len(p), nil
	}
	f.buf = append(f.buf, p...)
	if f.commit || len(f.buf) >= walBufferSize {
		f.commit = false
		if err := f.flush(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// flush writes the buffer. On failure the buffer is dropped: SQLite treats
// the error as a failed write, and the transaction as not committed.
func (f *walFile) flush() error {
	if len(f.buf) == 0 {
		return nil
	}
	_, err := f.File.WriteAt(f.buf, f.off)
	f.buf = f.buf[:0]
	if cap(f.buf) > walBufferSize {
		f.buf = nil
	}
	return err
}

func (f *walFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.flush(); err != nil {
		return 0, err
	}
	return f.File.ReadAt(p, off)
}

func (f *walFile) Sync(flags vfs.SyncFlag) error {
	if err := f.flush(); err != nil {
		return err
	}
	return f.File.Sync(flags)
}

func (f *walFile) Truncate(size int64) error {
	if err := f.flush(); err != nil {
		return err
	}
	return f.File.Truncate(size)
}

func (f *walFile) Size() (int64, error) {
	if err := f.flush(); err != nil {
		return 0, err
	}
	return f.File.Size()
}

// Close drops what is still buffered: commit frames are written as soon as
// they are complete, so that can only be part of a transaction that did not
// commit.
func (f *walFile) Close() error {
	f.buf = nil
	return f.File.Close()
}

func (f *walFile) Unwrap() vfs.File { return f.File }

func (f *walFile) SizeHint(size int64) error {
	if err := f.flush(); err != nil {
		return err
	}
	if h, ok := f.File.(vfs.FileSizeHint); ok {
		return h.SizeHint(size)
	}
	return nil
}
