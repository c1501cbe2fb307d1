package task

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

var goEnvCache sync.Map // key → string

// goEnv returns a go environment setting (GOROOT, GOMODCACHE): the process
// environment first, then `go env KEY`; "" when neither gives one.
func goEnv(key string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	if v, ok := goEnvCache.Load(key); ok {
		return v.(string)
	}
	out, err := exec.Command("go", "env", key).Output()
	v := ""
	if err == nil {
		v = strings.TrimSpace(string(out))
	}
	goEnvCache.Store(key, v)
	return v
}

// modCache returns the module cache directory the go command uses.
func modCache() string {
	if d := goEnv("GOMODCACHE"); d != "" {
		return d
	}
	// The go command's defaults, when it cannot be run.
	if gp := filepath.SplitList(os.Getenv("GOPATH")); len(gp) > 0 && gp[0] != "" {
		return filepath.Join(gp[0], "pkg", "mod")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// escapeModulePath escapes a module path for the module cache as
// golang.org/x/mod/module.EscapePath does: each upper-case letter becomes
// '!' and its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
