package rss_test

import (
	"testing"

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
	if err := rss.Reset(0); err != nil {
		t.Fatal(err)
	}
	after, err := rss.Of(0)
	if err != nil {
		t.Fatal(err)
	}
	if after.Peak > grown.Peak {
		t.Fatalf("peak after reset %d above the earlier peak %d", after.Peak, grown.Peak)
	}
	_ = buf
}
