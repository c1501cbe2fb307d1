package safetensors

import (
	"fmt"
	"slices"

	"github.com/lowrank-rnn/lowrank/internal/quote"
)

// File is the content of a safetensors file.
type File struct {
	// Metadata is the header's optional "__metadata__" map. Write omits it
	// when empty; Read leaves it nil when the file has none.
	Metadata map[string]string
	// Tensors maps each name to its tensor. Names are non-empty UTF-8 and
	// never "__metadata__".
	Tensors map[string]Tensor
}

// metadataKey is the one header key that is not a tensor.
const metadataKey = "__metadata__"

// Float32 returns the values of the F32 tensor called name. With a shape
// given, the tensor must have exactly that shape. The error names the
// tensor and what was wrong, for a model loader to pass on:
//
//	tensor "U_h" has shape [128 64], want [128 128]
func (f *File) Float32(name string, shape ...int) ([]float32, error) {
	t, ok := f.Tensors[name]
	if !ok {
		return nil, fmt.Errorf("tensor %q not found", name)
	}
	if shape != nil && !slices.Equal(t.Shape, shape) {
		return nil, fmt.Errorf("tensor %q has shape %v, want %v", name, t.Shape, shape)
	}
	v, err := t.Float32()
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	return v, nil
}

// FormatError reports a file that is not valid safetensors, or a File that
// cannot be written as one.
type FormatError struct {
	Path    string // the file, when known (ReadFile, WriteFile)
	Tensor  string // the tensor whose entry is at fault, if the problem is one tensor's
	Problem string // what is wrong
	Err     error  // the underlying error, if any: io.ErrUnexpectedEOF for a truncated file
}

func (e *FormatError) Error() string {
	prefix := "safetensors"
	if e.Path != "" {
		prefix = e.Path
	}
	if e.Tensor != "" {
		return fmt.Sprintf("%s: tensor %s: %s", prefix, quote.String(e.Tensor), e.Problem)
	}
	return prefix + ": " + e.Problem
}

func (e *FormatError) Unwrap() error { return e.Err }

func errorf(tensor, format string, args ...any) *FormatError {
	return &FormatError{Tensor: tensor, Problem: fmt.Sprintf(format, args...)}
}
