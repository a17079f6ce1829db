package testenv

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Run starts one environment for a test package, calls opts.Setup with it,
// runs the tests and stops the environment. It returns the exit code for
// os.Exit, which TestMain passes on:
//
//	var env *testenv.Env
//
//	func TestMain(m *testing.M) {
//		os.Exit(testenv.Run(m, testenv.Options{
//			CRDDirectoryPaths: []string{"../../../deploy/crds"},
//			Setup:             func(e *testenv.Env) error { env = e; return nil },
//		}))
//	}
//
// A fuzzing run (go test -fuzz, and each of its workers) runs only a fuzz target, which
// needs no API server: Run then runs the tests without starting one.
func Run(m *testing.M, opts Options) int {
	if Fuzzing() {
		return m.Run()
	}
	env, err := Start(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		return 1
	}
	code := 1
	if opts.Setup == nil {
		code = m.Run()
	} else if err := opts.Setup(env); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: failed to set up the suite: %v\n", err)
	} else {
		code = m.Run()
	}
	if opts.Teardown != nil {
		opts.Teardown(env)
	}
	if err := env.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Fuzzing reports whether the test binary runs a fuzz target's fuzzing (-test.fuzz, or as a
// fuzzing worker), in which case no other test runs. A TestMain that starts servers calls it
// to skip them: each fuzzing worker is a process of its own and runs TestMain again.
func Fuzzing() bool {
	if !flag.Parsed() {
		flag.Parse()
	}
	for _, name := range []string{"test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			return true
		}
	}
	return false
}

// unsafeName matches runs of characters a namespace name cannot hold.
var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

// NewNamespace creates a namespace with a unique name derived from the test
// name and returns that name; the namespace is deleted when the test ends.
// Without kube-controller-manager (plain mode) a deleted namespace stays
// Terminating, which does not affect other tests.
func NewNamespace(t testing.TB, c client.Client) string {
	t.Helper()
	prefix := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(prefix) > 40 {
		prefix = strings.TrimRight(prefix[:40], "-")
	}
	if prefix == "" {
		prefix = "test"
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := c.Create(ctx, ns); err != nil {
		t.Fatalf("failed to create a namespace: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		if err := c.Delete(ctx, ns); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("failed to delete namespace %s: %v", ns.Name, err)
		}
	})
	return ns.Name
}
