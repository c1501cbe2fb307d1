// Package safetensors reads and writes lowrank's model files in the
// safetensors format, so that weights move to and from PyTorch and NumPy
// users (huggingface/safetensors).
//
// A file is an 8-byte little-endian header length N, N bytes of JSON header,
// then the tensors' raw little-endian bytes. The header maps each tensor
// name to its dtype, shape and data_offsets (a [begin, end) byte range in
// the data section), plus an optional "__metadata__" object of strings:
//
//	{"__metadata__":{"cell":"mgru"},"W":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}
//
// Write is deterministic: the same File gives the same bytes, laid out as
// the reference writer lays them out (see Write), so `make models`
// reproduces model files bit for bit.
//
// Read treats its input as hostile. It returns an error, never panics, for
// any file that breaks the format's rules: duplicate keys, unknown dtypes,
// shapes that disagree with data_offsets or overflow, byte ranges with
// holes or overlaps or that run past the data, trailing bytes, truncation.
// Every declared length is checked against Limits, and against the size of
// the file where that is known, before memory is allocated for it. Beyond
// the format's rules, Read and Write refuse shapes of more than 64
// dimensions (NumPy's limit) and unknown fields in a tensor's entry. Values
// are not checked (the format allows NaN and infinities); a model loader
// calls CheckFinite.
//
// The one call most users need, to load a model's weights:
//
//	f, err := safetensors.ReadFile("model.safetensors", safetensors.Limits{})
//	if err != nil {
//		return err
//	}
//	uh, err := f.Float32("U_h", 128, 128) // checks dtype and shape
//	if err != nil {
//		return fmt.Errorf("model.safetensors: %w", err)
//	}
//	if err := safetensors.CheckFinite("U_h", uh); err != nil {
//		return fmt.Errorf("model.safetensors: %w", err)
//	}
package safetensors
