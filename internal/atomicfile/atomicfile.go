// Package atomicfile writes output files so that a failure never destroys
// what was there before, and checks output paths before any work starts.
//
// Every writer in the module goes through Write: the new content goes to a
// temporary file in the destination's directory, is synced to disk and
// optionally verified, and only then renamed over the destination. A full
// disk, a file-size limit (ulimit -f), a failed check or a crash leaves the
// previous file byte for byte as it was, and Write removes its temporary
// file on every failure it sees.
//
//	if err := atomicfile.CheckOutput(out, in); err != nil { // before the work
//		return err
//	}
//	… hours of work …
//	err := atomicfile.Write(out, func(w io.Writer) error { return m.Write(w, meta) }, nil)
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// tempPrefix starts the names of temporary files, so that one left behind
// by a killed process is recognisable: ".NAME.tmp-123456".
const tempPrefix = "."

// Write creates or replaces the file at path with what write writes to it.
// write gets a buffered writer on a new temporary file in path's directory;
// when it returns nil, the file is synced to disk, verify (if not nil) is
// called with the temporary file's path (to load it back with the real
// reader), and the file is renamed to path. A new file gets permissions
// 0666 less the umask, as os.Create gives; a replaced file keeps its own.
//
// If path is a symbolic link, the file it points to is replaced and the link
// kept. On any error, from write, verify or the file system, the previous
// file at path is unchanged, the temporary file is removed, and the error
// says which file was not written.
func Write(path string, write func(w io.Writer) error, verify func(tmp string) error) (err error) {
	target, mode, err := destination(path)
	if err != nil {
		return err
	}
	f, err := createTemp(filepath.Dir(target), filepath.Base(target))
	if err != nil {
		return fmt.Errorf("%s: not written: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close() // a second Close is harmless; its error is not the first one
			os.Remove(tmp)
			err = fmt.Errorf("%s: not written (the previous file, if any, is unchanged): %w", path, err)
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if mode != 0 {
		if err := f.Chmod(mode); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if verify != nil {
		if err := verify(tmp); err != nil {
			return fmt.Errorf("the new content does not load back: %w", err)
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	syncDir(filepath.Dir(target))
	return nil
}

// WriteBytes is Write for content already in memory.
func WriteBytes(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}, nil)
}

// destination resolves path to the file to replace (following symbolic
// links) and returns the permissions to give the new file: those of the
// file it replaces, or 0 for a new file.
func destination(path string) (target string, mode fs.FileMode, err error) {
	if path == "" {
		return "", 0, errors.New("atomicfile: empty output path")
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A new file, or a dangling symbolic link: write the path itself.
		if li, lerr := os.Lstat(path); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
			return "", 0, fmt.Errorf("%s: not written: a symbolic link to a missing file", path)
		}
		return path, 0, nil
	case err != nil:
		return "", 0, fmt.Errorf("%s: not written: %w", path, err)
	case !fi.Mode().IsRegular():
		return "", 0, fmt.Errorf("%s: not written: it exists and is not a regular file (%s)", path, kind(fi.Mode()))
	}
	target, err = filepath.EvalSymlinks(path)
	if err != nil {
		return "", 0, fmt.Errorf("%s: not written: %w", path, err)
	}
	return target, fi.Mode().Perm(), nil
}

// createTemp creates a new file next to the destination, with permissions
// 0666 less the umask (os.CreateTemp would give 0600).
func createTemp(dir, base string) (*os.File, error) {
	seed := uint64(time.Now().UnixNano()) ^ uint64(os.Getpid())<<32
	for range 100 {
		seed = seed*6364136223846793005 + 1442695040888963407
		name := filepath.Join(dir, tempPrefix+base+".tmp-"+strconv.FormatUint(seed>>40, 10))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("atomicfile: no free temporary name in %s", dir)
}

// syncDir makes a rename durable. It is best effort: some systems cannot
// sync a directory, and the rename itself has already succeeded.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// CheckOutput reports whether path can be written as an output, before any
// work is done: its directory exists and accepts new files, path is not a
// directory or other special file, and it is not the same file as any of
// inputs (also through symbolic links, hard links or relative paths). Empty
// inputs are ignored; inputs that do not exist cannot clash.
func CheckOutput(path string, inputs ...string) error {
	if path == "" {
		return errors.New("empty output path")
	}
	for _, in := range inputs {
		if in == "" {
			continue
		}
		same, err := SameFile(path, in)
		if err != nil {
			return err
		}
		if same {
			return fmt.Errorf("output %s is the input %s: choose another output file, or the input would be replaced", path, in)
		}
	}
	target, _, err := destination(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	di, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("output %s: directory %s does not exist: create it first", path, dir)
	case err != nil:
		return fmt.Errorf("output %s: %w", path, err)
	case !di.IsDir():
		return fmt.Errorf("output %s: %s is not a directory", path, dir)
	}
	// The one reliable test of "may create files here" (permissions, ACLs,
	// read-only mounts) is to create one.
	f, err := createTemp(dir, filepath.Base(target))
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the temporary name means nothing to the user
		}
		return fmt.Errorf("output %s: cannot create files in %s: %w", path, dir, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// CheckOutputs is CheckOutput for the several outputs of one command:
// each path given (empty ones are outputs not asked for) must be writable,
// name none of inputs, and differ from the other outputs, which do not
// exist yet, so that one of them would silently replace another.
func CheckOutputs(outputs []string, inputs ...string) error {
	for i, out := range outputs {
		if out == "" {
			continue
		}
		for _, prev := range outputs[:i] {
			if prev != "" && samePath(out, prev) {
				return fmt.Errorf("outputs %s and %s are the same file: give each output its own", prev, out)
			}
		}
		if err := CheckOutput(out, inputs...); err != nil {
			return err
		}
	}
	return nil
}

// CheckDir is CheckOutput for an output directory, such as one that
// receives figures: dir exists, is a directory, and accepts new files. An
// empty dir is an output not asked for.
func CheckDir(dir string) error {
	if dir == "" {
		return nil
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fmt.Errorf("output directory %s is not a directory", dir)
	}
	return CheckOutput(filepath.Join(dir, "output"))
}

// samePath reports whether a and b name the same file, existing or not.
func samePath(a, b string) bool {
	if same, err := SameFile(a, b); err == nil && same {
		return true
	}
	aa, errA := filepath.Abs(a)
	ab, errB := filepath.Abs(b)
	return errA == nil && errB == nil && aa == ab
}

// SameFile reports whether a and b name the same existing file, by device
// and inode where the system has them (os.SameFile): symbolic links, hard
// links and different spellings of one path all count. A path that does
// not exist is the same as nothing.
func SameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}
