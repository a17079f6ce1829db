package s3server

import "syscall"

// childProcAttr makes the kernel kill the server if the test binary dies without calling
// Stop (a panic or a go test timeout).
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
