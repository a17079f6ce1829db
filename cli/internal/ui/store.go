package ui

import (
	"sort"
	"sync"
)

// Change is one update of the graph, as the stream sends it.
type Change struct {
	// Type is "upsert" or "delete".
	Type string `json:"type"`
	// Node is the new state of the node, for an upsert.
	Node *Node `json:"node,omitempty"`
	// ID is the node removed, for a delete.
	ID string `json:"id,omitempty"`
}

// Snapshot is the whole graph at one moment.
type Snapshot struct {
	// Nodes are every node, sorted by ID.
	Nodes []*Node `json:"nodes"`
	// Warnings name the kinds that could not be watched, and why.
	Warnings []string `json:"warnings"`
	// Namespace is the one namespace watched, or empty for all of them.
	Namespace string `json:"namespace"`
	// ReadOnly says the actions are switched off.
	ReadOnly bool `json:"readOnly"`
}

// subscriberBuffer is how many changes a slow page may fall behind before it is cut off
// (it then reconnects and starts again from a snapshot).
const subscriberBuffer = 4096

// store holds the graph's nodes and hands every change to the subscribed streams.
type store struct {
	mu       sync.RWMutex
	nodes    map[string]*Node
	warnings map[string]string
	subs     map[chan Change]struct{}
}

func newStore() *store {
	return &store{nodes: map[string]*Node{}, warnings: map[string]string{}, subs: map[chan Change]struct{}{}}
}

// upsert stores n and publishes it.
func (s *store) upsert(n *Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes[n.ID] = n
	s.publish(Change{Type: "upsert", Node: n})
}

// remove deletes the node id and publishes the deletion.
func (s *store) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.nodes[id]; !ok {
		return
	}
	delete(s.nodes, id)
	s.publish(Change{Type: "delete", ID: id})
}

// warn records why kind cannot be shown; an empty message clears it.
func (s *store) warn(kind, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if message == "" {
		delete(s.warnings, kind)
		return
	}
	s.warnings[kind] = message
}

// publish hands c to every subscriber; one whose buffer is full is dropped (its channel
// closed). The caller holds s.mu.
func (s *store) publish(c Change) {
	for ch := range s.subs {
		select {
		case ch <- c:
		default:
			delete(s.subs, ch)
			close(ch)
		}
	}
}

// get returns the node id.
func (s *store) get(id string) (*Node, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, ok := s.nodes[id]
	return n, ok
}

// snapshot returns the graph now.
func (s *store) snapshot() Snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.snapshotLocked()
}

func (s *store) snapshotLocked() Snapshot {
	snap := Snapshot{Nodes: make([]*Node, 0, len(s.nodes)), Warnings: []string{}}
	for _, n := range s.nodes {
		snap.Nodes = append(snap.Nodes, n)
	}
	sort.Slice(snap.Nodes, func(i, j int) bool { return snap.Nodes[i].ID < snap.Nodes[j].ID })
	for kind, msg := range s.warnings {
		snap.Warnings = append(snap.Warnings, kind+": "+msg)
	}
	sort.Strings(snap.Warnings)
	return snap
}

// subscribe returns the graph now and a channel of every later change, without a gap
// between the two; cancel ends the subscription.
func (s *store) subscribe() (Snapshot, <-chan Change, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan Change, subscriberBuffer)
	s.subs[ch] = struct{}{}
	cancel := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.subs[ch]; ok {
			delete(s.subs, ch)
			close(ch)
		}
	}
	return s.snapshotLocked(), ch, cancel
}
