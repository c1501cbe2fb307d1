package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/lowrank-rnn/lowrank/internal/quote"
)

// Element types, spelled as the header spells them. The list and the bit
// widths are those of the reference implementation (huggingface/safetensors).
const (
	BOOL   = "BOOL"
	F4     = "F4" // 4-bit float (MX E2M1), two to a byte
	F6E2M3 = "F6_E2M3"
	F6E3M2 = "F6_E3M2"
	U8     = "U8"
	I8     = "I8"
	F8E5M2 = "F8_E5M2"
	F8E4M3 = "F8_E4M3"
	F8E8M0 = "F8_E8M0"
	I16    = "I16"
	U16    = "U16"
	F16    = "F16"
	BF16   = "BF16"
	I32    = "I32"
	U32    = "U32"
	F32    = "F32"
	C64    = "C64" // complex64: two F32
	F64    = "F64"
	I64    = "I64"
	U64    = "U64"
)

// dtypes lists every dtype in the reference's order, which is by
// increasing alignment: the reference writer lays tensors out by descending
// position in this list (then by name), so every tensor's data stays
// aligned to its element size. Write does the same.
var dtypes = [...]struct {
	name string
	bits int64
}{
	{BOOL, 8}, {F4, 4}, {F6E2M3, 6}, {F6E3M2, 6}, {U8, 8}, {I8, 8},
	{F8E5M2, 8}, {F8E4M3, 8}, {F8E8M0, 8}, {I16, 16}, {U16, 16},
	{F16, 16}, {BF16, 16}, {I32, 32}, {U32, 32}, {F32, 32}, {C64, 64},
	{F64, 64}, {I64, 64}, {U64, 64},
}

// dtypeInfo returns the bit width of dtype and its rank in dtypes, or
// ok == false for a name the format does not define.
func dtypeInfo(dtype string) (bits int64, rank int, ok bool) {
	for i, d := range dtypes {
		if d.name == dtype {
			return d.bits, i, true
		}
	}
	return 0, 0, false
}

// ElementBits returns the width in bits of one element of dtype, or 0 if
// the format does not define dtype.
func ElementBits(dtype string) int {
	bits, _, _ := dtypeInfo(dtype)
	return int(bits)
}

// Tensor is one named array of a file: row-major, little-endian bytes.
type Tensor struct {
	DType string // one of the dtype constants, e.g. F32
	Shape []int  // outermost dimension first; [] is a scalar
	Data  []byte // exactly the bytes that DType and Shape call for
}

// Check reports whether t is well formed: a known dtype, non-negative
// dimensions whose product does not overflow, and len(Data) equal to the
// size they give. The error names what is wrong, not the tensor.
func (t Tensor) Check() error {
	n, problem := byteSize(t.DType, t.Shape)
	if problem != "" {
		return fmt.Errorf("%s", problem)
	}
	if int64(len(t.Data)) != n {
		return fmt.Errorf("shape %v of %s needs %d bytes, Data has %d", t.Shape, t.DType, n, len(t.Data))
	}
	return nil
}

// byteSize returns the number of data bytes that shape calls for in dtype,
// or a description of the problem. Overflow is checked throughout, so a
// hostile shape cannot wrap around to a small size.
func byteSize(dtype string, shape []int) (int64, string) {
	bits, _, ok := dtypeInfo(dtype)
	if !ok {
		return 0, fmt.Sprintf("unknown dtype %s", quote.String(dtype))
	}
	if len(shape) > maxRank {
		return 0, fmt.Sprintf("shape has %d dimensions, more than %d", len(shape), maxRank)
	}
	n := int64(1)
	empty := false
	for i, d := range shape {
		switch {
		case d < 0:
			return 0, fmt.Sprintf("shape %v: dimension %d is negative", shape, i)
		case d == 0:
			empty = true // zero elements, but keep checking the other dimensions
		case int64(d) > math.MaxInt64/n:
			return 0, fmt.Sprintf("shape %v: element count overflows int64", shape)
		default:
			n *= int64(d)
		}
	}
	if empty {
		return 0, ""
	}
	if n > math.MaxInt64/bits {
		return 0, fmt.Sprintf("shape %v of %s: size in bits overflows int64", shape, dtype)
	}
	if n*bits%8 != 0 {
		return 0, fmt.Sprintf("shape %v of %s is %d bits, not a whole number of bytes", shape, dtype, n*bits)
	}
	return n * bits / 8, ""
}

// numElements returns the product of shape, which byteSize has bounded.
func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// FromFloat32 returns an F32 tensor of the given shape holding v. It copies
// shape and v. It panics if len(v) is not the product of shape, like any
// other shape misuse in this module.
func FromFloat32(shape []int, v []float32) Tensor {
	t := newTensor("FromFloat32", F32, shape, len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(t.Data[4*i:], math.Float32bits(x))
	}
	return t
}

// FromFloat64 is FromFloat32 for F64.
func FromFloat64(shape []int, v []float64) Tensor {
	t := newTensor("FromFloat64", F64, shape, len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(t.Data[8*i:], math.Float64bits(x))
	}
	return t
}

// FromInt32 is FromFloat32 for I32.
func FromInt32(shape []int, v []int32) Tensor {
	t := newTensor("FromInt32", I32, shape, len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(t.Data[4*i:], uint32(x))
	}
	return t
}

// FromInt64 is FromFloat32 for I64.
func FromInt64(shape []int, v []int64) Tensor {
	t := newTensor("FromInt64", I64, shape, len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(t.Data[8*i:], uint64(x))
	}
	return t
}

// FromInt8 is FromFloat32 for I8.
func FromInt8(shape []int, v []int8) Tensor {
	t := newTensor("FromInt8", I8, shape, len(v))
	for i, x := range v {
		t.Data[i] = byte(x)
	}
	return t
}

// FromBF16 is FromFloat32 for BF16: v holds the bf16 values' bits (the
// upper halves of float32s), as torch.bfloat16 stores them.
func FromBF16(shape []int, v []uint16) Tensor {
	t := newTensor("FromBF16", BF16, shape, len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(t.Data[2*i:], x)
	}
	return t
}

func newTensor(op, dtype string, shape []int, n int) Tensor {
	size, problem := byteSize(dtype, shape)
	if problem != "" {
		panic(fmt.Sprintf("safetensors: %s: %s", op, problem))
	}
	if want := numElements(shape); n != want {
		panic(fmt.Sprintf("safetensors: %s: shape %v has %d elements, got %d values", op, shape, want, n))
	}
	return Tensor{DType: dtype, Shape: slices.Clone(shape), Data: make([]byte, size)}
}

// Float32 decodes an F32 tensor into a new slice. It fails if t is not F32
// or its data does not match its shape. It does not look at the values:
// see CheckFinite.
func (t Tensor) Float32() ([]float32, error) {
	return decode(t, F32, 4, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) })
}

// Float64 is Float32 for F64.
func (t Tensor) Float64() ([]float64, error) {
	return decode(t, F64, 8, func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) })
}

// Int32 is Float32 for I32.
func (t Tensor) Int32() ([]int32, error) {
	return decode(t, I32, 4, func(b []byte) int32 { return int32(binary.LittleEndian.Uint32(b)) })
}

// Int64 is Float32 for I64.
func (t Tensor) Int64() ([]int64, error) {
	return decode(t, I64, 8, func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) })
}

// Int8 is Float32 for I8.
func (t Tensor) Int8() ([]int8, error) {
	return decode(t, I8, 1, func(b []byte) int8 { return int8(b[0]) })
}

// BF16 is Float32 for BF16: the bits of each value.
func (t Tensor) BF16() ([]uint16, error) {
	return decode(t, BF16, 2, func(b []byte) uint16 { return binary.LittleEndian.Uint16(b) })
}

func decode[T any](t Tensor, dtype string, size int, conv func([]byte) T) ([]T, error) {
	if t.DType != dtype {
		return nil, fmt.Errorf("dtype is %s, want %s", t.DType, dtype)
	}
	if err := t.Check(); err != nil {
		return nil, err
	}
	v := make([]T, len(t.Data)/size)
	for i := range v {
		v[i] = conv(t.Data[size*i:])
	}
	return v, nil
}

// CheckFinite returns an error naming tensor name and the first index of v
// that holds a NaN or an infinity, or nil if every value is finite. Model
// loaders call it: the format itself allows any value.
func CheckFinite(name string, v []float32) error {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("tensor %q: element %d of %d is %v, want a finite value", name, i, len(v), x)
		}
	}
	return nil
}
