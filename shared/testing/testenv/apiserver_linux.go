//go:build linux

package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// KillAPIServer kills the kube-apiserver with SIGKILL, as a crash of its node would, and
// returns a function that starts it again with the same command line (same port,
// certificates and etcd, so the data and every client's kubeconfig stay valid) and waits
// until it serves requests. Stop stops the restarted server.
func (e *Env) KillAPIServer() (restart func(ctx context.Context) error, err error) {
	pid, args, err := findChild(binAPIServer)
	if err != nil {
		return nil, err
	}
	proc, err := os.FindProcess(pid)
	if err != nil {
		return nil, err
	}
	if err := proc.Signal(syscall.SIGKILL); err != nil {
		return nil, fmt.Errorf("failed to kill %s (pid %d): %w", binAPIServer, pid, err)
	}
	// envtest waits for its own process: once it is reaped, its port is free.
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := poll(ctx, nil, binAPIServer+" to die", func() bool { return !alive(pid) }); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error { return e.startAPIServerAgain(ctx, args) }, nil
}

// startAPIServerAgain runs the API server's command line args, its output appended to its
// log, and waits until it answers.
func (e *Env) startAPIServerAgain(ctx context.Context, args []string) error {
	log, err := os.OpenFile(filepath.Join(e.Dir, binAPIServer+".log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	e.logs = append(e.logs, log)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("failed to start %s again: %w", binAPIServer, err)
	}
	p := &process{name: binAPIServer, cmd: cmd, done: make(chan struct{}), log: log}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	e.procs = append(e.procs, p)
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	return poll(ctx, []*process{p}, binAPIServer+" to serve again", func() bool {
		return e.Client.List(ctx, &corev1.NamespaceList{}, client.Limit(1)) == nil
	})
}

// findChild returns the pid and command line of this process's child running binary name.
func findChild(name string) (int, []string, error) {
	pids, err := childPIDs()
	if err != nil {
		return 0, nil, err
	}
	for _, pid := range pids {
		data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		if err != nil {
			continue
		}
		args := splitCmdline(data)
		if len(args) > 0 && filepath.Base(args[0]) == name {
			return pid, args, nil
		}
	}
	return 0, nil, fmt.Errorf("no child process runs %s", name)
}

// splitCmdline splits the NUL-separated contents of /proc/<pid>/cmdline.
func splitCmdline(data []byte) []string {
	var args []string
	for _, a := range bytes.Split(bytes.TrimRight(data, "\x00"), []byte{0}) {
		args = append(args, string(a))
	}
	return args
}

// alive tells whether pid runs (a zombie does not).
func alive(pid int) bool {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	m := statLine.FindStringSubmatch(string(data))
	return m != nil && m[1] != "Z"
}
