package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/e2e/fleet"
)

// repoRoot is the repository, seen from this package.
const repoRoot = "../../.."

// readyLine is what run prints once the demo is Ready.
const readyLine = "Ferry is running the demo"

// TestKilledRunnerLeavesNothing: `make run` killed with SIGKILL (nothing of it runs any
// clean-up) leaves no process it started: the control plane, the six controllers, the
// servers.
func TestKilledRunnerLeavesNothing(t *testing.T) {
	r := startRunner(t)
	procs := r.descendants(t)
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = r.cmd.Wait()
	waitAllGone(t, procs)
}

// TestInterruptWithBrokenPipe: `make run | tee run.log` and Ctrl-C — tee dies first, so run's
// stdout is a broken pipe when it stops everything; it must still stop everything, and exit 0.
func TestInterruptWithBrokenPipe(t *testing.T) {
	r := startRunner(t)
	procs := r.descendants(t)
	_ = r.stdout.Close() // tee is gone
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run exited with %v after Ctrl-C with a broken stdout, want 0; its stderr:\n%s", err, r.stderr())
		}
	case <-time.After(2 * time.Minute):
		_ = r.cmd.Process.Kill()
		t.Fatalf("run did not stop within 2m of Ctrl-C; its stderr:\n%s", r.stderr())
	}
	waitAllGone(t, procs)
}

// runner is a started `make run`.
type runner struct {
	cmd        *exec.Cmd
	stdout     io.ReadCloser
	stderrPath string
}

func (r *runner) stderr() string {
	b, _ := os.ReadFile(r.stderrPath)
	return string(b)
}

// startRunner builds run, starts it as make run does and waits until the demo is Ready.
func startRunner(t *testing.T) *runner {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	bin, err := fleet.Binaries(ctx, repoRoot, tmp, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	runBin := filepath.Join(tmp, "ferry-run")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", runBin, ".").CombinedOutput(); err != nil {
		t.Fatalf("failed to build run: %v\n%s", err, out)
	}
	abs := func(p string) string { a, _ := filepath.Abs(filepath.Join(repoRoot, p)); return a }
	cmd := exec.Command(runBin, "-bin", bin, "-deploy", abs("deploy"), "-testdata", abs("e2e/testdata"))
	cmd.Dir = tmp
	r := &runner{cmd: cmd, stderrPath: filepath.Join(tmp, "stderr")}
	errFile, err := os.Create(r.stderrPath)
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close()
	cmd.Stderr = errFile
	if r.stdout, err = cmd.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(r.stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), readyLine) {
				ready <- true
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("run stopped before the demo was Ready; its stderr:\n%s", r.stderr())
		}
	case <-time.After(5 * time.Minute):
		t.Fatalf("the demo was not Ready within 5m; run's stderr:\n%s", r.stderr())
	}
	// Keep draining stdout, as a terminal would, until the test closes it.
	go func() { _, _ = io.Copy(io.Discard, r.stdout) }()
	return r
}

// proc is a process: its pid and its command name.
type proc struct {
	pid  int
	name string
}

var statLine = regexp.MustCompile(`^\d+ \((.*)\) (\S) (\d+) `)

// descendants returns every live process below the runner (the control plane, the
// controllers, the reaper, the servers); the test fails if there are fewer than the fleet.
func (r *runner) descendants(t *testing.T) []proc {
	t.Helper()
	parent := map[int]int{}
	names := map[int]string{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		if m := statLine.FindStringSubmatch(string(data)); m != nil && m[2] != "Z" {
			parent[pid], _ = strconv.Atoi(m[3])
			names[pid] = m[1]
		}
	}
	var out []proc
	for pid := range parent {
		for p := parent[pid]; p > 1; p = parent[p] {
			if p == r.cmd.Process.Pid {
				out = append(out, proc{pid: pid, name: names[pid]})
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pid < out[j].pid })
	if len(out) < len(fleet.Controllers)+2 {
		t.Fatalf("run has %d processes below it, want at least the six controllers, etcd and kube-apiserver: %v", len(out), out)
	}
	t.Logf("run started %d processes: %v", len(out), out)
	return out
}

// waitAllGone waits until none of procs is alive (a zombie awaiting its reaper counts as gone).
// The kernel's parent-death signal and the control plane's reaper act at once; 10 s leaves
// room for a loaded machine, and is far shorter than the time a controller would take to
// give up on its own after losing the API server (its leader election's renew deadline).
func waitAllGone(t *testing.T, procs []proc) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var alive []string
		for _, p := range procs {
			data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
			if err != nil {
				continue
			}
			if m := statLine.FindStringSubmatch(string(data)); m != nil && m[2] != "Z" && m[1] == p.name {
				alive = append(alive, fmt.Sprintf("%d (%s)", p.pid, p.name))
			}
		}
		if len(alive) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range procs {
				_ = syscall.Kill(p.pid, syscall.SIGKILL)
			}
			t.Fatalf("processes of run survived it: %s", strings.Join(alive, ", "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
