package testenv

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// stopTimeout is how long a child gets to exit after SIGTERM before SIGKILL.
const stopTimeout = 10 * time.Second

// logTailBytes is how much of a component's log a start error quotes.
const logTailBytes = 3000

// process is a control-plane component that Env started itself.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited and been reaped
	err  error         // exit status, valid after done is closed
	log  *os.File
}

// startProcess starts the binary name from the assets directory with args,
// its output going to Dir/<name>.log. Stop stops it.
func (e *Env) startProcess(assets, name string, args ...string) (*process, error) {
	log, err := e.createLog(name)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(assets, name), args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("failed to start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{}), log: log}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	e.procs = append(e.procs, p)
	return p, nil
}

// pid returns the process id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// exitErr returns an error if the process has exited, with the end of its log.
func (p *process) exitErr() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited: %v%s", p.name, p.err, logTail(p.log))
	default:
		return nil
	}
}

// stop sends SIGTERM to the process, by PID, and SIGKILL if it has not
// exited after stopTimeout; it returns once the process has been reaped.
func (p *process) stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("failed to signal %s (pid %d): %w", p.name, p.pid(), err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("failed to kill %s (pid %d): %w", p.name, p.pid(), err)
	}
	<-p.done
	return nil
}

// logTail returns the end of the log file behind w, formatted to follow an
// error message, or "" when w is not a file.
func logTail(w io.Writer) string {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return ""
	}
	data, err := os.ReadFile(f.Name())
	if err != nil || len(data) == 0 {
		return ""
	}
	if len(data) > logTailBytes {
		data = data[len(data)-logTailBytes:]
	}
	return fmt.Sprintf("\n--- end of %s ---\n%s", filepath.Base(f.Name()), strings.TrimSpace(string(data)))
}
