// Package benchsize reads the sizes a scale benchmark runs at from FERRY_BENCH_N, so that one
// `make bench` run prints one table row per size, and runs the tight parallel client of a
// benchmark's floor. Only tests import it.
package benchsize

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Env is the environment variable with the sizes: a comma-separated list, e.g.
// 100,500,1000,2000.
const Env = "FERRY_BENCH_N"

// Sizes returns the sizes of FERRY_BENCH_N, or def when it is not set; it fails the benchmark
// on a size that is not a positive number.
func Sizes(b testing.TB, def ...int) []int {
	v := os.Getenv(Env)
	if v == "" {
		return def
	}
	var sizes []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("%s: %q is not a positive number", Env, f)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

// Parallel runs jobs 0 to n-1 on workers goroutines, as a tight client does to measure a
// floor, and returns how long they all took. Each worker is made once by newWorker (its
// set-up is timed too); the benchmark fails on the first error, after every worker stopped.
func Parallel(b testing.TB, n, workers int, newWorker func() (func(i int) error, error)) time.Duration {
	jobs := make(chan int)
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
		}
	}
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			job, err := newWorker()
			if err != nil {
				fail(err)
			}
			for i := range jobs { // drained to the end even after an error
				if job != nil && err == nil {
					if err = job(i); err != nil {
						fail(err)
					}
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	took := time.Since(start)
	if first != nil {
		b.Fatal(first)
	}
	return took
}
