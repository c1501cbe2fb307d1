package task

import (
	"fmt"
	"strings"
)

// Names lists the tasks Named knows.
var Names = []string{"recall", "seqmnist", "seqmnist-perm", "opticks", "pi"}

// Params are what Named needs besides a task's name.
type Params struct {
	Rho   float64 // recall: AR(1) coefficient of the input, in [0, 1)
	K, T  int     // recall: largest delay, steps per sequence (> K)
	Seed  uint64  // recall: seed of the held-out sequences
	NEval int     // recall: held-out sequences
	Dir   string  // data folder of MNIST and the text corpora ("" for the default, see DataEnv)
}

// Named returns the task of one of Names as a Dataset: the one place that
// maps the names commands and model files use to the tasks.
func Named(name string, p Params) (Dataset, error) {
	switch name {
	case "recall":
		r := Recall{Rho: p.Rho, K: p.K, T: p.T}
		if err := r.Validate(); err != nil {
			return nil, err
		}
		if p.NEval < 1 {
			return nil, fmt.Errorf("task: recall with %d held-out sequences, want at least 1", p.NEval)
		}
		return r.Dataset(p.Seed, p.NEval), nil
	case "seqmnist", "seqmnist-perm":
		return MNIST{Permuted: name == "seqmnist-perm", Dir: p.Dir}.Dataset()
	case "opticks", "pi":
		return Text{Corpus: name, Dir: p.Dir}.Dataset()
	}
	return nil, fmt.Errorf("task: unknown task %q; the tasks are %s", name, strings.Join(Names, ", "))
}
