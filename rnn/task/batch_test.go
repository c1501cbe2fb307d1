package task

import (
	"strings"
	"testing"
)

// CheckLayout is the one check of every batch layout: each way a batch can
// be inconsistent is an error that says which.
func TestCheckLayout(t *testing.T) {
	ok := []struct {
		k        Kind
		nY       int
		labels   []int32
		T, B, in int
	}{
		{Regression, 2 * 3 * 4, nil, 2, 3, 1},
		{ClassifyLast, 0, []int32{0, 3, 1}, 2, 3, 1},
		{ClassifyEach, 0, []int32{0, 1, 2, 3, 0, 1}, 2, 3, 1},
	}
	for _, c := range ok {
		if err := CheckLayout(c.k, c.T, c.B, c.in, 4, c.T*c.B*c.in, c.nY, c.labels); err != nil {
			t.Errorf("%s: %v", c.k, err)
		}
	}
	for _, c := range []struct {
		k            Kind
		T, B, nX, nY int
		labels       []int32
		want         string
	}{
		{Regression, 0, 3, 0, 0, nil, "batch of 3 sequences of 0 steps"},
		{Regression, 2, 3, 5, 24, nil, "X has 5 values, want T·B·In = 6"},
		{Regression, 2, 3, 6, 23, nil, "Y has 23 values, want T·B·Out = 24"},
		{ClassifyLast, 2, 3, 6, 0, []int32{0, 1}, "2 labels, want 3"},
		{ClassifyEach, 2, 3, 6, 0, []int32{0, 1, 2}, "3 labels, want 6"},
		{ClassifyLast, 2, 3, 6, 0, []int32{0, 4, 1}, "label 4 outside [0, 4)"},
		{"other", 2, 3, 6, 0, nil, `unknown kind "other"`},
	} {
		err := CheckLayout(c.k, c.T, c.B, 1, 4, c.nX, c.nY, c.labels)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.k, err, c.want)
		}
	}
}
