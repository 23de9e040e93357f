package config

import (
	"path/filepath"
	"strings"
)

// validatePIDFile checks server.pid_file: a file path, when set. Whether
// its folder exists is for `hookgate serve` to find out when it writes it.
func validatePIDFile(p *problems, path string) {
	switch {
	case path == "":
	case strings.ContainsRune(path, 0):
		p.add("server.pid_file", "contains a NUL byte")
	case strings.HasSuffix(path, "/") || filepath.Base(path) == "." || filepath.Base(path) == "..":
		p.add("server.pid_file", "%q names a folder; want a file path such as /run/hookgate/hookgate.pid", path)
	}
}
