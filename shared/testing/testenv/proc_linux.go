package testenv

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// childProcAttr makes the kernel kill a child if the test binary dies
// without calling Stop (a panic or a go test timeout), and puts it in its own
// process group so a Ctrl-C meant for the parent (make run) does not stop it
// out of order.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

// statLine parses the state and parent pid out of /proc/<pid>/stat.
var statLine = regexp.MustCompile(`^\d+ \(.*\) (\S) (\d+) `)

// childPIDs returns the pids of this process's live (not zombie) children.
func childPIDs() ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("failed to list processes: %w", err)
	}
	self := strconv.Itoa(os.Getpid())
	var pids []int
	for _, entry := range entries {
		pid, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", entry.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		m := statLine.FindStringSubmatch(string(data))
		if m != nil && m[2] == self && m[1] != "Z" {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// reaperScript waits for a line on stdin: "stop" dismisses it; end of file,
// which means the test binary died without calling Stop, makes it SIGKILL
// $FERRY_REAPER_PIDS and remove the directories given as arguments.
const reaperScript = `read -r cmd; [ "$cmd" = stop ] && exit 0
kill -9 $FERRY_REAPER_PIDS 2>/dev/null; sleep 1; rm -rf "$@"`

// reaper is a watchdog shell for the processes envtest started (etcd,
// kube-apiserver), which carry no parent-death signal, and for the
// temporary directories of the environment.
type reaper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startReaper watches every current child of this process and dirs.
func startReaper(dirs ...string) (*reaper, error) {
	pids, err := childPIDs()
	if err != nil {
		return nil, err
	}
	list := make([]string, 0, len(pids))
	for _, pid := range pids {
		list = append(list, strconv.Itoa(pid))
	}
	cmd := exec.Command("/bin/sh", append([]string{"-c", reaperScript, "reaper"}, dirs...)...)
	cmd.Env = append(os.Environ(), "FERRY_REAPER_PIDS="+strings.Join(list, " "))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // outlives a Ctrl-C of its parent
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("failed to start the process reaper: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("failed to start the process reaper: %w", err)
	}
	return &reaper{cmd: cmd, stdin: stdin}, nil
}

// stop dismisses the reaper without it killing anything.
func (r *reaper) stop() error {
	if r == nil {
		return nil
	}
	_, werr := io.WriteString(r.stdin, "stop\n")
	if err := errors.Join(werr, r.cmd.Wait()); err != nil {
		return fmt.Errorf("failed to stop the process reaper: %w", err)
	}
	return nil
}
