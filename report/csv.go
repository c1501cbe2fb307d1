package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/internal/quote"
	"github.com/lowrank-rnn/lowrank/rnn"
)

// A column is one column of a results CSV file: its header name, how a
// row's field is written, and how it is read back. A format's column list
// is its only description: the writer, the reader and the header all
// follow it.
type column[R any] struct {
	name  string
	write func(*R) string
	read  func(*R, string) error
}

// writeCSV writes the header and one record per row.
func writeCSV[R any](w io.Writer, cols []column[R], rows []R) error {
	cw := csv.NewWriter(w)
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = c.name
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	for i := range rows {
		for j, c := range cols {
			rec[j] = c.write(&rows[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// readCSV reads what writeCSV wrote: the header must be the column list,
// and every field must parse; the first that does not is the error, with
// its line and column.
func readCSV[R any](r io.Reader, cols []column[R]) ([]R, error) {
	cr := csv.NewReader(&lineLimit{r: r})
	cr.FieldsPerRecord = -1 // checked here, to tell a foreign header from a short row
	head, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("empty file; want the header %s", headerOf(cols))
	}
	if err != nil {
		return nil, err
	}
	if got := strings.Join(head, ","); got != headerOf(cols) {
		return nil, fmt.Errorf("header %s; want %s", quote.String(got), headerOf(cols))
	}
	var rows []R
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		if len(rec) != len(cols) {
			return nil, fmt.Errorf("line %d has %d fields, want %d", line, len(rec), len(cols))
		}
		var row R
		for j, c := range cols {
			if err := c.read(&row, rec[j]); err != nil {
				return nil, fmt.Errorf("line %d, column %s: %v", line, c.name, err)
			}
		}
		rows = append(rows, row)
	}
}

// maxLine bounds a line of a results CSV file. The longest real one is
// under 1 KiB, and encoding/csv holds a line of any length in memory, a few
// times over: a file of one endless line would cost memory without bound.
const maxLine = 1 << 20

// lineLimit is a reader that fails on a line longer than maxLine.
type lineLimit struct {
	r io.Reader
	n int // bytes of the current line so far
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if l.n++; b == '\n' {
			l.n = 0
		} else if l.n > maxLine {
			return i, fmt.Errorf("a line longer than %d bytes: not a results file", maxLine)
		}
	}
	return n, err
}

func headerOf[R any](cols []column[R]) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return strings.Join(names, ",")
}

// readFile reads a results file with read, naming the file in errors.
func readFile[R any](path string, read func(io.Reader) ([]R, error)) ([]R, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// WriteFile writes a results file with write, creating its folder,
// through atomicfile.Write: a failed or interrupted run never leaves a
// results file cut short, and the previous file stays as it was.
func WriteFile(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, write, nil)
}

// Field parsers: strict, so that a malformed value is an error, never a
// zero or a NaN that reads as a measurement.

func parseFloat(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s is not a number", quote.String(s))
	}
	return v, nil
}

func parseInt(s string) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%s is not a count", quote.String(s))
	}
	return v, nil
}

func parseRank(s string) (rnn.Rank, error) { return rnn.ParseRank(s) }

func parseCell(s string) (rnn.Cell, error) {
	c := rnn.Cell(s)
	if c != rnn.RNN && c != rnn.MGRU && c != rnn.GRU && c != rnn.LSTM {
		return "", fmt.Errorf("unknown cell %s", quote.String(s))
	}
	return c, nil
}

func parseMethod(s string) (rnn.Method, error) {
	m := rnn.Method(s)
	if !slices.Contains([]rnn.Method{"", rnn.SVD, rnn.Whitened}, m) {
		return "", fmt.Errorf("unknown method %s", quote.String(s))
	}
	return m, nil
}

func nonEmpty(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("empty")
	}
	return s, nil
}

// set returns a column's read function: parse the field into the row.
func set[R, V any](parse func(string) (V, error), field func(*R) *V) func(*R, string) error {
	return func(r *R, s string) error {
		v, err := parse(s)
		if err != nil {
			return err
		}
		*field(r) = v
		return nil
	}
}
