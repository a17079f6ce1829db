package event

import (
	"sort"
	"sync"
	"time"
)

// TwinWindow is how long an event from one source waits for its twin from the other: long
// enough to span a restart of the controller between the POST of an event and the replay of
// its Kubernetes Event.
const TwinWindow = 10 * time.Minute

// maxPending bounds the events waiting for a twin; the oldest are forgotten first.
const maxPending = 100_000

// Twins pairs the two copies of one event. A controller that records Kubernetes Events and
// also POSTs them (Flux's controllers, and Ferry's with --events-addr) sends every event
// twice, once through each source. Twins counts, per fingerprint and source, the events not
// yet paired: an event whose fingerprint has an unpaired event from the other source is the
// second copy and is dropped; an event that repeats one from the same source is a new event
// (rate limiting, not de-duplication, decides about those).
type Twins struct {
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	pending map[string]*unpaired
	calls   int
}

// unpaired counts the events of one fingerprint still waiting for a twin.
type unpaired struct {
	count [2]int
	at    time.Time
}

// NewTwins returns an empty pairing over window.
func NewTwins(window time.Duration) *Twins {
	return &Twins{window: window, now: time.Now, pending: map[string]*unpaired{}}
}

// Twin reports whether r is the second copy of an event already received from the other
// source within the window; if so the pair is complete and forgotten, otherwise r waits for
// its own twin.
func (t *Twins) Twin(r Record) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if t.calls++; t.calls%1024 == 0 || len(t.pending) > maxPending {
		t.prune(now)
	}
	other := FromHTTP
	if r.Source == FromHTTP {
		other = FromAPI
	}
	p := t.pending[r.Fingerprint]
	if p != nil && now.Sub(p.at) > t.window {
		delete(t.pending, r.Fingerprint)
		p = nil
	}
	if p != nil && p.count[other] > 0 {
		p.count[other]--
		if p.count[FromAPI]+p.count[FromHTTP] == 0 {
			delete(t.pending, r.Fingerprint)
		}
		return true
	}
	if p == nil {
		p = &unpaired{}
		t.pending[r.Fingerprint] = p
	}
	p.count[r.Source]++
	p.at = now
	return false
}

// prune forgets expired entries and, above maxPending, the oldest ones.
func (t *Twins) prune(now time.Time) {
	for fp, p := range t.pending {
		if now.Sub(p.at) > t.window {
			delete(t.pending, fp)
		}
	}
	if len(t.pending) <= maxPending {
		return
	}
	fps := make([]string, 0, len(t.pending))
	for fp := range t.pending {
		fps = append(fps, fp)
	}
	sort.Slice(fps, func(i, j int) bool { return t.pending[fps[i]].at.Before(t.pending[fps[j]].at) })
	for _, fp := range fps[:len(fps)-maxPending] {
		delete(t.pending, fp)
	}
}

// Pending is a POSTed event still waiting for its Kubernetes Event, as saved in the
// checkpoint.
type Pending struct {
	// Fingerprint identifies the event.
	Fingerprint string `json:"f"`
	// Count is how many such events wait.
	Count int `json:"n"`
	// At is when the last one arrived, in Unix seconds.
	At int64 `json:"t"`
}

// Export returns the POSTed events still waiting for their twin within the window: after a
// restart, the Kubernetes Events of POSTs already delivered must still be recognised.
func (t *Twins) Export() []Pending {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var out []Pending
	for fp, p := range t.pending {
		if p.count[FromHTTP] > 0 && now.Sub(p.at) <= t.window {
			out = append(out, Pending{Fingerprint: fp, Count: p.count[FromHTTP], At: p.at.Unix()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Fingerprint < out[j].Fingerprint })
	return out
}

// Import restores events saved by Export.
func (t *Twins) Import(list []Pending) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range list {
		u := &unpaired{at: time.Unix(p.At, 0)}
		u.count[FromHTTP] = p.Count
		t.pending[p.Fingerprint] = u
	}
}
