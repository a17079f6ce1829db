package checkpoint

import (
	"reflect"
	"testing"
)

// TestTracker: the watermark stays below the oldest unfinished event, events finished above
// it are listed, partial deliveries are kept, and a tracker resumed from the snapshot skips
// exactly what was finished.
func TestTracker(t *testing.T) {
	tr := NewTracker(State{Watermark: 10})
	if skip, _ := tr.Skip(10); !skip {
		t.Fatal("an event at the watermark was not skipped")
	}
	tr.Start(11, []string{"a", "b"})
	tr.Observe(12) // an event for no Alert
	tr.Start(13, []string{"a"})
	tr.Start(14, nil) // matched nothing
	tr.Finish(13, "a")
	tr.Finish(11, "a")

	s, changed := tr.Snapshot()
	want := State{Watermark: 10, Done: []uint64{13}, Delivered: map[uint64][]string{11: {"a"}}}
	if !changed || !reflect.DeepEqual(s, want) {
		t.Fatalf("snapshot %+v, want %+v", s, want)
	}
	if _, changed := tr.Snapshot(); changed {
		t.Fatal("an unchanged tracker reports a change")
	}

	// A restart from this snapshot: 11 goes to b only, 12 and 14 are replayed (they had no
	// destination, so nothing is sent twice), 13 is skipped.
	re := NewTracker(s)
	for rv, wantSkip := range map[uint64]bool{9: true, 11: false, 13: true, 15: false} {
		if skip, _ := re.Skip(rv); skip != wantSkip {
			t.Errorf("resumed Skip(%d) = %v, want %v", rv, skip, wantSkip)
		}
	}
	if _, delivered := re.Skip(11); !reflect.DeepEqual(delivered, []string{"a"}) {
		t.Fatalf("event 11 already reached %v, want [a]", delivered)
	}

	tr.Finish(11, "b")
	s, _ = tr.Snapshot()
	if s.Watermark != 14 || len(s.Done) != 0 || len(s.Delivered) != 0 {
		t.Fatalf("after every event finished: %+v, want watermark 14 and nothing else", s)
	}
	if tr.InFlight() != 0 {
		t.Fatalf("InFlight = %d", tr.InFlight())
	}
}

// TestTrackerResumeAdvances: a resumed tracker drops what it restored once the watermark
// passes it.
func TestTrackerResumeAdvances(t *testing.T) {
	tr := NewTracker(State{Watermark: 5, Done: []uint64{7}, Delivered: map[uint64][]string{6: {"x"}}})
	skip, delivered := tr.Skip(6)
	if skip || !reflect.DeepEqual(delivered, []string{"x"}) {
		t.Fatalf("Skip(6) = %v %v", skip, delivered)
	}
	tr.Start(6, []string{"y"})
	tr.Finish(6, "y")
	if skip, _ := tr.Skip(7); !skip {
		t.Fatal("7 was saved as done")
	}
	tr.Observe(7)
	s, _ := tr.Snapshot()
	if !reflect.DeepEqual(s, State{Watermark: 7, Delivered: map[uint64][]string{}}) {
		t.Fatalf("snapshot %+v", s)
	}
}

// TestTrackerChanged: Changed signals once after changes of the checkpoint, however many, and
// stays quiet while nothing changes, so that nothing is written on a timer.
func TestTrackerChanged(t *testing.T) {
	tr := NewTracker(State{Watermark: 10})
	signalled := func() bool {
		select {
		case <-tr.Changed():
			return true
		default:
			return false
		}
	}
	if signalled() {
		t.Fatal("a new tracker signalled a change")
	}
	tr.Start(11, []string{"ns/alert"})
	tr.Finish(11, "ns/alert")
	if !signalled() {
		t.Fatal("no signal after an event was delivered")
	}
	if signalled() {
		t.Fatal("two changes signalled twice")
	}
	if _, changed := tr.Snapshot(); !changed {
		t.Fatal("the snapshot does not report the change")
	}
	tr.Observe(11) // nothing new
	tr.Finish(11, "ns/alert")
	if signalled() {
		t.Fatal("signalled without a change")
	}
	tr.Observe(12) // the stream moved on: the watermark follows
	if !signalled() {
		t.Fatal("no signal after the watermark moved")
	}
}
