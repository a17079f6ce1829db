package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/shared/testing/freeport"
)

// process is the notification-controller binary running against the suite's API server, for
// the benchmarks: its memory is its own, measured apart from the test's.
type process struct {
	cmd                      *exec.Cmd
	eventsAddr, receiverAddr string
	log                      string
	exited                   chan error
}

// binary returns the notification-controller binary: $FERRY_BIN/notification-controller
// (make bench builds it), or one built into a temporary directory.
func binary(b *testing.B) string {
	if dir := os.Getenv("FERRY_BIN"); dir != "" {
		return filepath.Join(dir, controllerName)
	}
	out := filepath.Join(b.TempDir(), controllerName)
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if data, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("failed to build the controller: %v\n%s", err, data)
	}
	return out
}

// startProcess runs the controller with its checkpoint in ns and waits until its event
// endpoint and webhook receiver answer. It is stopped (SIGTERM) when b ends.
func startProcess(b *testing.B, ns string, args ...string) *process {
	b.Helper()
	var addrs [4]string
	for i := range addrs {
		var err error
		if addrs[i], err = freeport.Addr(); err != nil {
			b.Fatal(err)
		}
	}
	p := &process{eventsAddr: addrs[0], receiverAddr: addrs[1], log: filepath.Join(b.TempDir(), "controller.log"), exited: make(chan error, 1)}
	logFile, err := os.Create(p.log)
	if err != nil {
		b.Fatal(err)
	}
	p.cmd = exec.Command(binary(b), append([]string{"--events-addr=" + addrs[0], "--receiverAddr=" + addrs[1],
		"--metrics-addr=" + addrs[2], "--health-addr=" + addrs[3], "--log-level=error", "--log-encoding=console"}, args...)...)
	p.cmd.Env = append(os.Environ(), "KUBECONFIG="+env.Kubeconfig, "RUNTIME_NAMESPACE="+ns)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait(); logFile.Close() }()
	b.Cleanup(p.stop)
	deadline := time.Now().Add(time.Minute)
	for !answers("http://"+p.eventsAddr+"/") || !answers("http://"+p.receiverAddr+"/") {
		select {
		case err := <-p.exited:
			data, _ := os.ReadFile(p.log)
			b.Fatalf("the controller exited: %v\n%s", err, data)
		default:
		}
		if time.Now().After(deadline) {
			b.Fatal("the controller did not start listening within a minute")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return p
}

// answers tells whether anything answers HTTP at url.
func answers(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// pid is the controller's process ID.
func (p *process) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM and waits for the exit.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case <-p.exited:
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		fmt.Fprintln(os.Stderr, "notification-controller did not stop within 30s of SIGTERM")
	}
}
