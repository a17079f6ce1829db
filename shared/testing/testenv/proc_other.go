//go:build !linux

package testenv

import (
	"context"
	"errors"
	"syscall"
)

// childProcAttr returns nil: only Linux can tie a child's life to its parent.
func childProcAttr() *syscall.SysProcAttr {
	return nil
}

// childPIDs is not implemented outside Linux.
func childPIDs() ([]int, error) {
	return nil, errors.New("failed to list child processes: needs /proc")
}

// reaper does nothing outside Linux.
type reaper struct{}

// startReaper returns no reaper outside Linux.
func startReaper(...string) (*reaper, error) { return nil, nil }

// stop does nothing.
func (r *reaper) stop() error { return nil }

// KillAPIServer is not implemented outside Linux.
func (e *Env) KillAPIServer() (func(context.Context) error, error) {
	return nil, errors.New("failed to find the API server process: needs /proc")
}
