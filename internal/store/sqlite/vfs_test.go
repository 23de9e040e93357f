package sqlite

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ncruces/go-sqlite3/vfs"
)

// testVFS wraps walVFS to watch and break the disk under a store: it
// counts WAL fsyncs, can hold them (to pile requests up behind a commit),
// can fail every write as a full or read-only disk would, and can open the
// database read-only as for a write-protected file.
type testVFS struct {
	base vfs.VFSFilename

	walSyncs   atomic.Int64 // fsyncs of the WAL
	walPending atomic.Int64 // bytes written to the WAL since its last fsync

	mu       sync.Mutex
	failWith error  // if set, writes, truncates and syncs fail with it
	readOnly bool   // open the main database read-only
	onSync   func() // called at the start of each WAL fsync
}

// newTestVFS registers a testVFS for t and returns it with Options that use
// it.
func newTestVFS(t testing.TB) (*testVFS, Options) {
	v := &testVFS{base: vfs.Find(walVFSName).(vfs.VFSFilename)}
	name := "hookgate-test-" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	vfs.Register(name, v)
	t.Cleanup(func() { vfs.Unregister(name) })
	return v, Options{vfs: name}
}

func (v *testVFS) setFail(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.failWith = err
}

func (v *testVFS) fail() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.failWith
}

func (v *testVFS) setOnSync(f func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.onSync = f
}

func (v *testVFS) Open(name string, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	return v.OpenFilename(nil, flags)
}

func (v *testVFS) OpenFilename(name *vfs.Filename, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	v.mu.Lock()
	readOnly := v.readOnly
	v.mu.Unlock()
	if readOnly && flags&vfs.OPEN_MAIN_DB != 0 {
		flags = flags&^(vfs.OPEN_READWRITE|vfs.OPEN_CREATE) | vfs.OPEN_READONLY
	}
	f, flags, err := v.base.OpenFilename(name, flags)
	if err != nil {
		return nil, flags, err
	}
	// The database's WAL only: the dedup file's is not fsynced on commit
	// by design (dedup.go).
	wal := flags&vfs.OPEN_WAL != 0 && (name == nil || !strings.HasSuffix(name.String(), "-dedup-wal"))
	return &testFile{File: f, vfs: v, wal: wal}, flags, nil
}

func (v *testVFS) Delete(name string, syncDir bool) error { return v.base.Delete(name, syncDir) }

func (v *testVFS) Access(name string, flags vfs.AccessFlag) (bool, error) {
	return v.base.Access(name, flags)
}

func (v *testVFS) FullPathname(name string) (string, error) { return v.base.FullPathname(name) }

// testFile forwards to the OS file, and to the optional interfaces SQLite
// needs from it (shared memory for WAL, locks, ...).
type testFile struct {
	vfs.File
	vfs *testVFS
	wal bool
}

func (f *testFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.vfs.fail(); err != nil {
		return 0, err
	}
	n, err := f.File.WriteAt(p, off)
	if f.wal {
		f.vfs.walPending.Add(int64(n))
	}
	return n, err
}

func (f *testFile) Truncate(size int64) error {
	if err := f.vfs.fail(); err != nil {
		return err
	}
	return f.File.Truncate(size)
}

func (f *testFile) Sync(flags vfs.SyncFlag) error {
	if f.wal {
		f.vfs.mu.Lock()
		onSync := f.vfs.onSync
		f.vfs.mu.Unlock()
		if onSync != nil {
			onSync()
		}
	}
	if err := f.vfs.fail(); err != nil {
		return err
	}
	pending := f.vfs.walPending.Load()
	if err := f.File.Sync(flags); err != nil {
		return err
	}
	if f.wal {
		f.vfs.walPending.Add(-pending)
		f.vfs.walSyncs.Add(1)
	}
	return nil
}

func (f *testFile) Unwrap() vfs.File { return f.File }

func (f *testFile) SharedMemory() vfs.SharedMemory {
	if s, ok := f.File.(vfs.FileSharedMemory); ok {
		return s.SharedMemory()
	}
	return nil
}

func (f *testFile) LockState() vfs.LockLevel {
	if l, ok := f.File.(vfs.FileLockState); ok {
		return l.LockState()
	}
	return vfs.LOCK_EXCLUSIVE + 1 // unknown
}

func (f *testFile) PersistWAL() bool {
	if p, ok := f.File.(vfs.FilePersistWAL); ok {
		return p.PersistWAL()
	}
	return false
}

func (f *testFile) SetPersistWAL(keep bool) {
	if p, ok := f.File.(vfs.FilePersistWAL); ok {
		p.SetPersistWAL(keep)
	}
}

func (f *testFile) PowersafeOverwrite() bool {
	if p, ok := f.File.(vfs.FilePowersafeOverwrite); ok {
		return p.PowersafeOverwrite()
	}
	return false
}

func (f *testFile) SetPowersafeOverwrite(psow bool) {
	if p, ok := f.File.(vfs.FilePowersafeOverwrite); ok {
		p.SetPowersafeOverwrite(psow)
	}
}

func (f *testFile) SizeHint(size int64) error {
	if err := f.vfs.fail(); err != nil {
		return err
	}
	if h, ok := f.File.(vfs.FileSizeHint); ok {
		return h.SizeHint(size)
	}
	return nil
}

func (f *testFile) HasMoved() (bool, error) {
	if m, ok := f.File.(vfs.FileHasMoved); ok {
		return m.HasMoved()
	}
	return false, nil
}
