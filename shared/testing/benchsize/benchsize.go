// Package benchsize reads the sizes a scale benchmark runs at from FERRY_BENCH_N, so that one
// `make bench` run prints one table row per size. Only tests import it.
package benchsize

import (
	"os"
	"strconv"
	"strings"
	"testing"
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
