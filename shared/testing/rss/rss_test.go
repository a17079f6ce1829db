package rss_test

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/shared/testing/rss"
)

func TestPeakFollowsAllocationAndResets(t *testing.T) {
	before, err := rss.Of(0)
	if err != nil {
		t.Fatal(err)
	}
	if before.Current <= 0 || before.Peak < before.Current {
		t.Fatalf("implausible usage %+v", before)
	}
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	grown, err := rss.Of(0)
	if err != nil {
		t.Fatal(err)
	}
	if grown.Peak < before.Peak+32<<20 {
		t.Fatalf("peak %d did not grow by the 64 MiB touched (was %d)", grown.Peak, before.Peak)
	}
	buf = nil
	runtime.GC()
	debug.FreeOSMemory()
	freed, err := rss.Of(0)
	if err != nil {
		t.Fatal(err)
	}
	if freed.Peak-freed.Current < 32<<20 {
		t.Fatalf("freeing 64 MiB left peak %d close to current %d", freed.Peak, freed.Current)
	}
	if err := rss.Reset(0); err != nil {
		t.Fatal(err)
	}
	after, err := rss.Of(0)
	if err != nil {
		t.Fatal(err)
	}
	if after.Peak-after.Current > 8<<20 {
		t.Fatalf("peak %d after reset is not the current usage %d", after.Peak, after.Current)
	}
}

func TestCPUSecondsGrowsWithWork(t *testing.T) {
	before, err := rss.CPUSeconds(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the kernel has counted at least two clock ticks more.
	deadline := time.Now().Add(10 * time.Second)
	for {
		now, err := rss.CPUSeconds(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if now >= before+0.02 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time stayed at %.2f s after 10 s of work", now)
		}
	}
}
