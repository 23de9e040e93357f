package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
)

// staticFiles serves the embedded script and stylesheet. Pages link them
// with a hash of their content in the query, so browsers may keep them for
// long and still never run an old script against a new page.
type staticFiles struct {
	files map[string]staticFile
}

type staticFile struct {
	body  []byte
	ctype string
	hash  string
}

func newStaticFiles() (*staticFiles, error) {
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("ui: static files: %w", err)
	}
	s := &staticFiles{files: map[string]staticFile{}}
	for _, e := range entries {
		b, err := fs.ReadFile(staticFS, "static/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("ui: static files: %w", err)
		}
		sum := sha256.Sum256(b)
		s.files[e.Name()] = staticFile{
			body:  b,
			ctype: mime.TypeByExtension(path.Ext(e.Name())),
			hash:  hex.EncodeToString(sum[:8]),
		}
	}
	return s, nil
}

// url returns the address of the file named name, with its hash.
func (s *staticFiles) url(name string) string {
	return "/ui/static/" + name + "?v=" + s.files[name].hash
}

// ServeHTTP serves GET /ui/static/{file}. The files are public: they hold
// no data, so they need no session (the login page uses them).
func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := s.files[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("ETag", `"`+f.hash+`"`)
	if r.Header.Get("If-None-Match") == `"`+f.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(f.body)
}
