package kernels

import "math"

// The pure-Go references of the quantized kernels: the specification of
// quant.go and bf16.go written as loops, the go target, and what every
// assembly target must reproduce bit for bit.

// int8Scales returns the quantization scale pair (inv, d) of x: static
// (127, 1/127), or dynamic from m = max |x_j| (NaN ignored).
func int8Scales(x []float32, dyn bool) (inv, d float32) {
	if !dyn {
		return Int8ActMax, 1.0 / Int8ActMax
	}
	var m float32
	for _, v := range x {
		if a := math.Float32frombits(math.Float32bits(v) &^ signBit); a > m { // false for NaN
			m = a
		}
	}
	if m == 0 || math.IsInf(float64(m), 1) {
		return 0, 0
	}
	return Int8ActMax / m, m / Int8ActMax
}

// quantizeInt8 returns v = roundEven(clamp(x·inv, −127, 127)), 0 for NaN.
func quantizeInt8(x, inv float32) int8 {
	t := x * inv
	if t != t {
		return 0
	}
	t = max(-Int8ActMax, min(Int8ActMax, t))
	return int8(math.RoundToEven(float64(t)))
}

// gemvInt8Generic is the int8 leaf: a packed as PackedInt8 (panel stride
// in bytes), x quantized with int8Scales(x, dyn), and for each row
// i < len(y) of the product y_i = (float32(acc_i)·scale_i)·d, or
// y_i += that when add. bias is not needed here: it is the x86 kernels'
// correction for the offset they add to v.
func gemvInt8Generic(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn, add bool) {
	inv, d := int8Scales(x, dyn)
	var buf [MaxQuantCols + int8Group]int8
	groups := (len(x) + int8Group - 1) / int8Group
	v := buf[:groups*int8Group] // the padding stays 0
	for j, xj := range x {
		v[j] = quantizeInt8(xj, inv)
	}
	for p := 0; p*PanelRows < len(y); p++ {
		var acc [PanelRows]int32
		panel := a[p*stride:]
		for g := range groups {
			blk := panel[g*PanelRows*int8Group : (g+1)*PanelRows*int8Group]
			vg := v[g*int8Group : (g+1)*int8Group]
			for r := range acc {
				w := blk[r*int8Group : (r+1)*int8Group]
				acc[r] += int32(w[0])*int32(vg[0]) + int32(w[1])*int32(vg[1]) +
					int32(w[2])*int32(vg[2]) + int32(w[3])*int32(vg[3])
			}
		}
		out := y[p*PanelRows : min(len(y), (p+1)*PanelRows)]
		for r := range out {
			// The conversions keep each operation rounded on its own: Go
			// may otherwise fuse a multiply and an add (it does on arm64).
			s := float32(float32(acc[r]) * scale[p*PanelRows+r])
			s = float32(s * d)
			if add {
				s = out[r] + s
			}
			out[r] = s
		}
	}
}

// gemvBF16Generic is the bf16 leaf: a packed as PackedBF16 in panels of h
// rows (stride elements apart), x rounded to bf16, and for each row i <
// len(y) the sum of four accumulators in the order of VDPBF16PS (see
// bf16.go); y_i = sum, or y_i += sum when add.
func gemvBF16Generic(y []float32, a []uint16, stride, h int, x []float32, add bool) {
	var buf [MaxQuantCols + bf16Group]float32
	pairs := (len(x) + bf16Group - 1) / bf16Group
	xb := buf[:pairs*bf16Group] // the padding stays 0
	for j, xj := range x {
		xb[j] = fromBF16(toBF16(xj))
	}
	pitch := h * bf16Group // elements from one pair of a panel to the next
	for i0 := 0; i0 < len(y); i0 += PanelRows {
		// Rows i0..i0+15: block (i0%h)/16 of panel i0/h.
		base := (i0/h)*stride + (i0%h)*bf16Group
		var acc [4][PanelRows]float32
		for k := range pairs {
			blk := a[base+k*pitch : base+k*pitch+PanelRows*bf16Group]
			x0, x1 := float64(xb[2*k]), float64(xb[2*k+1])
			ac := &acc[k%4]
			for r := range ac {
				// Products of bf16 values are exact in float64 and in
				// float32; the float64 sum of one with a float32 is
				// rounded to float32 exactly as a fused multiply-add
				// would (see bf16.go: no double rounding can occur).
				ac[r] = float32(float64(fromBF16(blk[2*r+1]))*x1 + float64(ac[r]))
				ac[r] = float32(float64(fromBF16(blk[2*r]))*x0 + float64(ac[r]))
			}
		}
		out := y[i0:min(len(y), i0+PanelRows)]
		for r := range out {
			s := (acc[0][r] + acc[1][r]) + (acc[2][r] + acc[3][r])
			if add {
				s = out[r] + s
			}
			out[r] = s
		}
	}
}
