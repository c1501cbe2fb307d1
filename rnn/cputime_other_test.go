//go:build !unix

package rnn

import "time"

// processCPU is not measured here.
func processCPU() time.Duration { return 0 }
