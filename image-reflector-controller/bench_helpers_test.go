package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/testing/freeport"
)

// tagServer is a minimal registry: /v2/ answers, and /v2/<name>/tags/list lists the same
// number of tags for any repository (different tags for each).
type tagServer struct {
	host  string
	calls atomic.Int64
}

func startTagServer(b *testing.B, tags int) *tagServer {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := &tagServer{host: ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.calls.Add(1)
		name, ok := strings.CutSuffix(strings.TrimPrefix(req.URL.Path, "/v2/"), "/tags/list")
		if !ok {
			w.WriteHeader(http.StatusOK) // the /v2/ ping
			return
		}
		list := make([]string, tags)
		for i := range list {
			list[i] = fmt.Sprintf("%d.%d.%d", i/100, i%100, len(name))
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"name": name, "tags": list})
	})}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	return s
}

// controllerBinary is $FERRY_BIN/image-reflector-controller (make bench builds it), or a
// fresh build.
func controllerBinary(b *testing.B) string {
	b.Helper()
	if dir := os.Getenv("FERRY_BIN"); dir != "" {
		return filepath.Join(dir, controllerName)
	}
	bin := filepath.Join(b.TempDir(), controllerName)
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("failed to build the controller: %v\n%s", err, out)
	}
	return bin
}

// createObjects creates n ImageRepositories of host/app<i> (1h interval) and a semver
// ImagePolicy for each, 16 at a time.
func createObjects(b *testing.B, c client.Client, ns string, n int, host string) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			name := fmt.Sprintf("app%d", i)
			repo := &imagev1.ImageRepository{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
				Spec: imagev1.ImageRepositorySpec{Image: host + "/" + name, Insecure: true, Interval: metav1.Duration{Duration: time.Hour}}}
			policy := &imagev1.ImagePolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
				Spec: imagev1.ImagePolicySpec{ImageRepositoryRef: fluxmeta.NamespacedObjectReference{Name: name},
					Policy: imagev1.ImagePolicyChoice{SemVer: &imagev1.SemVerPolicy{Range: ">=1.0.0 <5.0.0"}}}}
			for _, o := range []client.Object{repo, policy} {
				if err := c.Create(context.Background(), o); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// deleteAll deletes the benchmark's objects (their finalizers are left: no controller runs).
func deleteAll(b *testing.B, c client.Client, ns string) {
	b.Helper()
	ctx := context.Background()
	if err := c.DeleteAllOf(ctx, &imagev1.ImagePolicy{}, client.InNamespace(ns)); err != nil {
		b.Fatal(err)
	}
	if err := c.DeleteAllOf(ctx, &imagev1.ImageRepository{}, client.InNamespace(ns)); err != nil {
		b.Fatal(err)
	}
}

// process is the controller running as a process.
type process struct {
	cmd     *exec.Cmd
	metrics string
	done    chan error
}

// startController runs the controller binary with deploy/'s flags (but leader election)
// against the benchmark's API server, and waits until it is ready.
func startController(b *testing.B, bin, store string) *process {
	b.Helper()
	metrics, err := freeport.Addr()
	if err != nil {
		b.Fatal(err)
	}
	health, err := freeport.Addr()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "--storage-path="+store, "--watch-all-namespaces=true", "--log-level=error",
		"--log-encoding=json", "--concurrent=4", "--metrics-addr="+metrics, "--health-addr="+health)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+env.Kubeconfig, "RUNTIME_NAMESPACE=default")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &process{cmd: cmd, metrics: metrics, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	b.Cleanup(func() { _ = cmd.Process.Kill() })
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get("http://" + health + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			b.Fatal("the controller did not become ready within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM and waits for the process to end.
func (p *process) stop(b *testing.B) {
	b.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		b.Fatal("the controller did not stop within a minute")
	}
}

// waitReconciled polls the controller's metrics until both kinds' reconcilers finished n
// reconciles each (controller-runtime's controller_runtime_reconcile_total).
func (p *process) waitReconciled(b *testing.B, n int) {
	b.Helper()
	deadline := time.Now().Add(30 * time.Minute)
	for {
		done := p.reconciles(b)
		if done["imagerepository"] >= n && done["imagepolicy"] >= n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("reconciles after a restart: %v, want %d each", done, n)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// reconciles reads controller_runtime_reconcile_total by controller.
func (p *process) reconciles(b *testing.B) map[string]int {
	resp, err := http.Get("http://" + p.metrics + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "controller_runtime_reconcile_total{") {
			continue
		}
		ctrlName := between(line, `controller="`, `"`)
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err == nil {
			out[ctrlName] += int(v)
		}
	}
	return out
}

func between(s, start, end string) string {
	_, rest, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(rest, end)
	return v
}
