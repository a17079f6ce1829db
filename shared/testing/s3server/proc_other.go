//go:build !linux

package s3server

import "syscall"

// childProcAttr has nothing to set outside Linux.
func childProcAttr() *syscall.SysProcAttr { return nil }
