// Package rss reads a process's resident memory for benchmarks: the current and peak resident
// set size from /proc (Linux), and resets the peak so that one phase can be measured alone.
package rss

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Usage is a process's resident memory in bytes.
type Usage struct {
	// Current is VmRSS.
	Current int64
	// Peak is VmHWM, the high-water mark since the process started or the last Reset.
	Peak int64
}

// Of reads the memory usage of the process pid (0 for this process).
func Of(pid int) (Usage, error) {
	path := "/proc/self/status"
	if pid > 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	f, err := os.Open(path)
	if err != nil {
		return Usage{}, fmt.Errorf("failed to read memory usage: %w", err)
	}
	defer f.Close()
	var u Usage
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch key {
		case "VmRSS":
			u.Current, err = kib(value)
		case "VmHWM":
			u.Peak, err = kib(value)
		}
		if err != nil {
			return Usage{}, fmt.Errorf("failed to parse %s of %s: %w", key, path, err)
		}
	}
	return u, sc.Err()
}

// Reset sets the peak of process pid (0 for this process) back to its current usage.
func Reset(pid int) error {
	path := "/proc/self/clear_refs"
	if pid > 0 {
		path = fmt.Sprintf("/proc/%d/clear_refs", pid)
	}
	if err := os.WriteFile(path, []byte("5"), 0); err != nil {
		return fmt.Errorf("failed to reset the peak memory usage: %w", err)
	}
	return nil
}

// MiB converts bytes to mebibytes.
func MiB(b int64) float64 { return float64(b) / (1 << 20) }

func kib(v string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
	return n << 10, err
}

// CPUSeconds returns the user and system CPU time process pid has used, in seconds, from
// /proc/<pid>/stat.
func CPUSeconds(pid int) (float64, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("failed to read the CPU time of %d: %w", pid, err)
	}
	// The fields after the command name, which may hold spaces, in parentheses.
	end := strings.LastIndexByte(string(stat), ')')
	if end < 0 || end+2 > len(stat) {
		return 0, fmt.Errorf("failed to parse /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(stat[end+2:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("failed to parse /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseFloat(fields[11], 64)
	stime, err2 := strconv.ParseFloat(fields[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("failed to parse the CPU time in /proc/%d/stat", pid)
	}
	return (utime + stime) / 100, nil // USER_HZ is 100 on Linux
}
