// Package checkpoint remembers, in the cluster, which Kubernetes Events notification-controller
// has delivered, so that after a restart it replays the ones it had not delivered and none
// that it had.
//
// Kubernetes Events arrive in resourceVersion order (a watch delivers them in the order etcd
// stored them, and a list is sorted before it is replayed). The checkpoint is a watermark —
// every event at or below it is finished — plus the events above it that finished before an
// older one did, and, for events still in flight, the destinations (Alerts) they already
// reached. It lives in a ConfigMap in the controller's namespace (Store).
package checkpoint

import (
	"slices"
	"sort"
	"sync"
)

// State is a checkpoint as saved.
type State struct {
	// Watermark: every event with a resourceVersion at or below it is finished.
	Watermark uint64 `json:"watermark"`
	// Done are finished events above the watermark.
	Done []uint64 `json:"done,omitempty"`
	// Delivered lists, per unfinished event, the destinations it already reached.
	Delivered map[uint64][]string `json:"delivered,omitempty"`
}

// entry is an event in flight.
type entry struct {
	pending   map[string]bool
	delivered []string
	done      bool
}

// Tracker follows the events in flight and computes the checkpoint. It is safe for
// concurrent use: the router starts events, delivery workers finish them.
type Tracker struct {
	mu        sync.Mutex
	watermark uint64
	maxSeen   uint64
	order     []uint64
	entries   map[uint64]*entry
	restored  map[uint64]bool
	partial   map[uint64][]string
	dirty     bool
	// changed holds a signal once the checkpoint changed after the last Snapshot.
	changed chan struct{}
}

// NewTracker returns a tracker that resumes from s.
func NewTracker(s State) *Tracker {
	t := &Tracker{watermark: s.Watermark, maxSeen: s.Watermark, entries: map[uint64]*entry{},
		restored: map[uint64]bool{}, partial: map[uint64][]string{}, changed: make(chan struct{}, 1)}
	for _, rv := range s.Done {
		if rv > s.Watermark {
			t.restored[rv] = true
		}
	}
	for rv, d := range s.Delivered {
		if rv > s.Watermark {
			t.partial[rv] = slices.Clone(d)
		}
	}
	return t
}

// Skip tells whether the event rv was finished before (at or below the watermark, or saved
// as done), and returns the destinations an unfinished one already reached. Call Observe or
// Start next for an event that is not skipped, Observe for one that is.
func (t *Tracker) Skip(rv uint64) (skip bool, delivered []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if rv <= t.watermark || t.restored[rv] {
		return true, nil
	}
	if e, ok := t.entries[rv]; ok {
		return true, e.delivered // already in flight (seen again through a relist)
	}
	return false, slices.Clone(t.partial[rv])
}

// Observe records that the stream reached rv without anything to deliver: an event that is
// not for any Alert, or a watch bookmark.
func (t *Tracker) Observe(rv uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.see(rv)
	t.advance()
}

// Start records that the event rv goes to dests (Alert keys); Finish reports each. An event
// with no destination is finished at once.
func (t *Tracker) Start(rv uint64, dests []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.see(rv)
	if len(dests) == 0 {
		delete(t.partial, rv)
		t.advance()
		return
	}
	e := &entry{pending: map[string]bool{}, delivered: t.partial[rv]}
	delete(t.partial, rv)
	for _, d := range dests {
		e.pending[d] = true
	}
	t.entries[rv] = e
	t.order = append(t.order, rv)
	t.markDirty()
}

// Finish records that the event rv is done with dest: delivered, refused, dropped or given up
// on. An event abandoned at shutdown is not finished, and is replayed after the restart.
func (t *Tracker) Finish(rv uint64, dest string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[rv]
	if !ok || !e.pending[dest] {
		return
	}
	delete(e.pending, dest)
	e.delivered = append(e.delivered, dest)
	t.markDirty()
	if len(e.pending) == 0 {
		e.done = true
		t.advance()
	}
}

// Changed signals (once per change, however many there were) that the checkpoint changed, so
// that it is written only then instead of on a timer.
func (t *Tracker) Changed() <-chan struct{} { return t.changed }

// markDirty notes a change of the checkpoint and signals Changed; t.mu is held.
func (t *Tracker) markDirty() {
	t.dirty = true
	select {
	case t.changed <- struct{}{}:
	default: // a signal is already waiting
	}
}

func (t *Tracker) see(rv uint64) {
	if rv > t.maxSeen {
		t.maxSeen = rv
	}
}

// advance moves the watermark up to just below the oldest unfinished event, or to the
// newest event seen when none is unfinished.
func (t *Tracker) advance() {
	for len(t.order) > 0 && t.entries[t.order[0]].done {
		delete(t.entries, t.order[0])
		t.order = t.order[1:]
	}
	wm := t.maxSeen
	if len(t.order) > 0 {
		wm = t.order[0] - 1
	}
	if wm <= t.watermark {
		return
	}
	t.watermark = wm
	t.markDirty()
	for rv := range t.restored {
		if rv <= wm {
			delete(t.restored, rv)
		}
	}
	for rv := range t.partial {
		if rv <= wm {
			delete(t.partial, rv)
		}
	}
}

// Snapshot returns the checkpoint and whether it changed since the last call.
func (t *Tracker) Snapshot() (State, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := State{Watermark: t.watermark, Delivered: map[uint64][]string{}}
	for rv := range t.restored {
		s.Done = append(s.Done, rv)
	}
	for rv, d := range t.partial {
		s.Delivered[rv] = slices.Clone(d)
	}
	for rv, e := range t.entries {
		switch {
		case e.done:
			s.Done = append(s.Done, rv)
		case len(e.delivered) > 0:
			s.Delivered[rv] = slices.Clone(e.delivered)
		}
	}
	sort.Slice(s.Done, func(i, j int) bool { return s.Done[i] < s.Done[j] })
	changed := t.dirty
	t.dirty = false
	return s, changed
}

// InFlight returns how many events are unfinished.
func (t *Tracker) InFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, e := range t.entries {
		if !e.done {
			n++
		}
	}
	return n
}
