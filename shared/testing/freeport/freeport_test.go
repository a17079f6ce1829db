package freeport

import (
	"net"
	"strconv"
	"testing"
)

// TestPortsAreFreeDistinctAndBelowTheEphemeralRange hands out many ports and binds each.
func TestPortsAreFreeDistinctAndBelowTheEphemeralRange(t *testing.T) {
	seen := map[int]bool{}
	var listeners []net.Listener
	t.Cleanup(func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	})
	for range 200 {
		p, err := Port()
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
		if p < lowest || p >= ephemeralStart() {
			t.Fatalf("port %d outside %d-%d", p, lowest, ephemeralStart()-1)
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatalf("port %d is not free: %v", p, err)
		}
		listeners = append(listeners, l)
	}
	addr, err := Addr()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		t.Fatalf("Addr() = %q: %v", addr, err)
	}
}
