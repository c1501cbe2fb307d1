package kernels

// The pure-Go references. Each exported …Generic function is the
// specification of the operation of the same name: always compiled, used by
// the "go" target, and the yardstick every assembly target is tested against.
// They validate nothing; the exported operations do.

// DotGeneric returns Σ x[i]·y[i], accumulated in order in float32.
func DotGeneric(x, y []float32) float32 {
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// AxpyGeneric sets y[i] += alpha·x[i].
func AxpyGeneric(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// MatVecGeneric sets y = A·x.
func MatVecGeneric(y []float32, a Matrix, x []float32) {
	gemvGeneric(y[:a.Rows], a.Data, a.Stride, x[:a.Cols], false)
}

// LowRankMatVecGeneric sets y = U·(V·x).
func LowRankMatVecGeneric(y []float32, w LowRank, x []float32) {
	t := make([]float32, w.V.Rows)
	MatVecGeneric(t, w.V, x)
	MatVecGeneric(y, w.U, t)
}

// gemvGeneric is the row-major leaf: for each row i < len(y),
// s = Σ_j a[i*lda+j]·x[j] over j < len(x); y[i] = s, or y[i] += s when add.
func gemvGeneric(y, a []float32, lda int, x []float32, add bool) {
	for i := range y {
		s := DotGeneric(x, a[i*lda:i*lda+len(x)])
		if add {
			y[i] += s
		} else {
			y[i] = s
		}
	}
}

// gemvPanelsGeneric is the packed leaf (see Packed) for panels of h rows:
// row i < len(y) lies in panel p = i/h, which starts at a[p*stride]; column
// j of the panel is a[p*stride+j*h:][:h]. It sets y[i] = Σ_j W[i][j]·x[j]
// over j < len(x), in order, or adds it to y[i] when add. Rows of the last
// panel at or past len(y) are padding and are not stored.
func gemvPanelsGeneric(y, a []float32, stride int, x []float32, add bool, h int) {
	var acc [maxPanelRows]float32
	for p := 0; p*h < len(y); p++ {
		acc := acc[:min(h, len(y)-p*h)]
		clear(acc)
		panel := a[p*stride:]
		for j, xj := range x {
			col := panel[j*h : j*h+len(acc)]
			for r := range acc {
				acc[r] += col[r] * xj
			}
		}
		out := y[p*h : p*h+len(acc)]
		if add {
			for r := range out {
				out[r] += acc[r]
			}
		} else {
			copy(out, acc)
		}
	}
}

// gemvTilesGeneric is the tiled leaf (see Geometry.Tiles): len(y) is a
// multiple of 16; rows 16p…16p+15 lie in the panel at a[p*stride:], whose
// tile t holds columns 16t…16t+15, row r of it at a[p*stride+256t+16r:]
// [:16] (a last partial tile padded with zeros). It sets y[i] = Σ_j
// W[i][j]·x[j] over j < len(x), in order, or adds it to y[i] when add.
func gemvTilesGeneric(y, a []float32, stride int, x []float32, add bool) {
	for i := range y {
		var s float32
		for j, xj := range x {
			s += a[i/16*stride+j/16*256+i%16*16+j%16] * xj
		}
		if add {
			y[i] += s
		} else {
			y[i] = s
		}
	}
}
