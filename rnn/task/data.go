package task

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/mod/module"
)

// DataEnv names the environment variable that points to a folder of task
// data (the lowrank command's -data flag sets the same folder). A file
// that is not there is read from where Go keeps it: the MNIST files from
// the module cache, the text corpora from GOROOT.
const DataEnv = "LOWRANK_DATA"

// A place is a folder a data file may be in, and what it is, for errors.
type place struct{ dir, what string }

// locate returns the first of the data folder (dir, or $LOWRANK_DATA
// when dir is "") and fallback that holds every one of files; or an error
// naming the places it looked in.
func locate(dir string, files []string, fallback place) (string, error) {
	var places []place
	switch {
	case dir != "":
		places = append(places, place{dir, "data folder"})
	case os.Getenv(DataEnv) != "":
		places = append(places, place{os.Getenv(DataEnv), "$" + DataEnv})
	}
	if fallback.dir != "" {
		places = append(places, fallback)
	}
	var tried []string
	for _, p := range places {
		missing := ""
		for _, f := range files {
			if fi, err := os.Stat(filepath.Join(p.dir, f)); err != nil || fi.IsDir() {
				missing = f
				break
			}
		}
		if missing == "" {
			return p.dir, nil
		}
		tried = append(tried, fmt.Sprintf("no %s in %s (%s)", missing, p.dir, p.what))
	}
	if fallback.dir == "" {
		tried = append(tried, "no "+fallback.what+" to look in")
	}
	return "", fmt.Errorf("%s", strings.Join(tried, "; "))
}

// ModuleCache returns the module cache the go command uses, found as the
// go command finds it but without running it: $GOMODCACHE, else pkg/mod
// in the first entry of $GOPATH, else $HOME/go/pkg/mod; "" when none is
// known. (A GOMODCACHE set with `go env -w` is not seen: point
// LOWRANK_DATA at the data instead.)
func ModuleCache() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	if gp := filepath.SplitList(os.Getenv("GOPATH")); len(gp) > 0 && gp[0] != "" {
		return filepath.Join(gp[0], "pkg", "mod")
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// moduleDir returns the folder of module path@version in the module
// cache, or "" when the cache is unknown.
func moduleDir(path, version string) string {
	mc := ModuleCache()
	if mc == "" {
		return ""
	}
	esc, err := module.EscapePath(path)
	if err != nil {
		panic(err) // path is one of this package's constants
	}
	return filepath.Join(mc, esc+"@"+version)
}

// goroot returns the Go tree the text corpora ship with: $GOROOT, else
// the tree this program was built from. (runtime.GOROOT is deprecated
// because a binary may move to a machine without that tree; a data folder
// covers that case, and running `go env` is what this avoids.)
func goroot() string {
	if r := os.Getenv("GOROOT"); r != "" {
		return r
	}
	return runtime.GOROOT()
}
