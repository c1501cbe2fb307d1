package main

import "runtime"

// inOrder runs work on every file, one per core at a time, and hands each
// result to done in file order as soon as it and those before it are
// ready, so that a long run prints as it goes. The first error, in file
// order, is returned; work still running then ends with the process.
func inOrder[T any](files []string, work func(path string) (T, error), done func(T) error) error {
	type result struct {
		v     T
		err   error
		ready chan struct{}
	}
	results := make([]result, len(files))
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, path := range files {
		results[i].ready = make(chan struct{})
		go func() {
			slots <- struct{}{}
			defer func() { <-slots; close(results[i].ready) }()
			results[i].v, results[i].err = work(path)
		}()
	}
	for i := range results {
		<-results[i].ready
		if results[i].err != nil {
			return results[i].err
		}
		if err := done(results[i].v); err != nil {
			return err
		}
	}
	return nil
}
