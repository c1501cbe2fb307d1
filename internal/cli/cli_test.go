package cli

import (
	"flag"
	"slices"
	"strings"
	"testing"
)

func newTest() (*flag.FlagSet, *strings.Builder, *bool) {
	var out strings.Builder
	fs := NewFlagSet("demo", "demo [-v] FILE", "Demo demonstrates.", &out)
	v := fs.Bool("v", false, "be verbose")
	return fs, &out, v
}

func TestParseFlags(t *testing.T) {
	for _, c := range []struct {
		args   []string
		status int
		done   bool
		out    string // in the output; "" for none
	}{
		{[]string{"-v"}, ExitOK, false, ""},
		{nil, ExitOK, false, ""},
		{[]string{"-h"}, ExitOK, true, "usage: lowrank demo [-v] FILE\n\nDemo demonstrates.\n\nFlags:\n  -v\tbe verbose"},
		{[]string{"-x"}, ExitUsage, true, "flag provided but not defined: -x"},
		{[]string{"-v", "file"}, ExitUsage, true, `lowrank demo: unexpected arguments ["file"]`},
	} {
		fs, out, _ := newTest()
		status, done := ParseFlags(fs, c.args)
		if status != c.status || done != c.done {
			t.Errorf("ParseFlags(%q) = %d, %v; want %d, %v", c.args, status, done, c.status, c.done)
		}
		if c.out == "" && out.Len() > 0 || !strings.Contains(out.String(), c.out) {
			t.Errorf("ParseFlags(%q) printed %q; want %q in it", c.args, out, c.out)
		}
	}
}

func TestUsageWithoutFlags(t *testing.T) {
	var out strings.Builder
	fs := NewFlagSet("bare", "bare", "Bare takes no flags.", &out)
	fs.Usage()
	if got, want := out.String(), "usage: lowrank bare\n\nBare takes no flags.\n"; got != want {
		t.Errorf("usage = %q, want %q (no Flags: heading)", got, want)
	}
}

func TestParseInterleaved(t *testing.T) {
	fs, _, v := newTest()
	files, status, done := ParseInterleaved(fs, []string{"old", "-v", "new"})
	if done || status != ExitOK || !slices.Equal(files, []string{"old", "new"}) || !*v {
		t.Errorf("ParseInterleaved = %q, %d, %v, -v %v; want [old new], 0, false, -v true", files, status, done, *v)
	}
	fs, _, _ = newTest()
	if _, status, done := ParseInterleaved(fs, []string{"old", "-h"}); !done || status != ExitOK {
		t.Errorf("ParseInterleaved(old -h) = %d, %v; want 0, true", status, done)
	}
	fs, _, _ = newTest()
	if _, status, done := ParseInterleaved(fs, []string{"old", "-y"}); !done || status != ExitUsage {
		t.Errorf("ParseInterleaved(old -y) = %d, %v; want 2, true", status, done)
	}
}

func TestUnused(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.Bool("a", false, "")
	fs.Bool("b", false, "")
	fs.Bool("c", false, "")
	if err := fs.Parse([]string{"-b", "-c"}); err != nil {
		t.Fatal(err)
	}
	if got := FlagsSet(fs); !got["b"] || !got["c"] || got["a"] {
		t.Errorf("FlagsSet = %v, want b and c", got)
	}
	if err := Unused(fs, false, "is ignored", "b"); err != nil {
		t.Errorf("Unused when nothing is ignored: %v", err)
	}
	if err := Unused(fs, true, "is ignored", "a"); err != nil {
		t.Errorf("Unused of a flag not given: %v", err)
	}
	err := Unused(fs, true, "is ignored", "a", "c", "b")
	if err == nil || err.Error() != "-c is ignored" {
		t.Errorf("Unused = %v, want the first given in names' order: -c is ignored", err)
	}
}

func TestCount(t *testing.T) {
	if n := Count(); n != 0 {
		t.Errorf("Count() = %d", n)
	}
	if n := Count(true, false, true, true); n != 3 {
		t.Errorf("Count(true, false, true, true) = %d, want 3", n)
	}
}
