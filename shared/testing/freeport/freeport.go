// Package freeport hands out 127.0.0.1 TCP ports for servers that a test starts in another
// process, which must be told its port before it binds. Asking the kernel for port 0 and
// closing the listener is racy: that port comes from the ephemeral range, where any outgoing
// connection of any process (a client of the API server, say) may take it before the server
// binds, which then fails with "address already in use". The ports handed out here lie below
// the ephemeral range, which the kernel never picks on its own, are free when handed out and
// are never handed out twice by one process.
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

const (
	// lowest is the lowest port handed out: above the well-known and most registered ports.
	lowest = 20000
	// defaultEphemeralStart is Linux's default start of the ephemeral range.
	defaultEphemeralStart = 32768
	// attempts bounds the search for a free port.
	attempts = 500
)

var (
	mu     sync.Mutex
	handed = map[int]bool{}
)

// Port returns a TCP port free on 127.0.0.1, below the kernel's ephemeral range.
func Port() (int, error) {
	mu.Lock()
	defer mu.Unlock()
	lo, hi := lowest, ephemeralStart()-1
	if hi-lo < 1000 {
		return kernelPort()
	}
	for range attempts {
		p := lo + rand.IntN(hi-lo+1)
		if handed[p] {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		if err := l.Close(); err != nil {
			return 0, fmt.Errorf("failed to free port %d: %w", p, err)
		}
		handed[p] = true
		return p, nil
	}
	return 0, fmt.Errorf("failed to find a free port in %d-%d after %d attempts", lo, hi, attempts)
}

// Addr returns "127.0.0.1:<Port()>".
func Addr() (string, error) {
	p, err := Port()
	if err != nil {
		return "", err
	}
	return "127.0.0.1:" + strconv.Itoa(p), nil
}

// ephemeralStart reads the first port of the kernel's ephemeral range (Linux), or returns
// the default where it cannot be read.
func ephemeralStart() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return defaultEphemeralStart
	}
	fields := strings.Fields(string(data))
	if len(fields) != 2 {
		return defaultEphemeralStart
	}
	start, err := strconv.Atoi(fields[0])
	if err != nil {
		return defaultEphemeralStart
	}
	return start
}

// kernelPort asks the kernel for a port, where no range below the ephemeral one is usable.
func kernelPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("failed to find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
