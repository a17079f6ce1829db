package dependency

import (
	"context"
	"sync"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// lazyWatches holds the watches of a set's other kinds, by kind name, until a dependent
// needs them.
type lazyWatches struct {
	mu      sync.Mutex
	sources map[string]*lazySource
}

// add registers the watch of kind.
func (l *lazyWatches) add(kind string, s *lazySource) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sources == nil {
		l.sources = map[string]*lazySource{}
	}
	l.sources[kind] = s
}

// need starts the watch of kind, if there is one and it has not started.
func (l *lazyWatches) need(kind string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	s := l.sources[kind]
	l.mu.Unlock()
	if s != nil {
		s.activate()
	}
}

// lazySource is a controller's source that starts its inner source only once activated: the
// controller starts it with the others (which records the queue), activate starts the watch.
type lazySource struct {
	src source.Source

	mu      sync.Mutex
	ctx     context.Context
	q       queue
	wanted  bool
	started bool
}

// Start records where events go, and starts the watch if it is already wanted.
func (s *lazySource) Start(ctx context.Context, q queue) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctx, s.q = ctx, q
	if s.wanted {
		return s.startLocked()
	}
	return nil
}

// activate starts the watch once the controller has started the source, or marks it wanted.
func (s *lazySource) activate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return
	}
	s.wanted = true
	if s.q == nil {
		return
	}
	if err := s.startLocked(); err != nil {
		ctrl.Log.Error(err, "unable to watch dependencies")
	}
}

// startLocked starts the inner source; s.mu is held.
func (s *lazySource) startLocked() error {
	s.started = true
	return s.src.Start(s.ctx, s.q)
}

// String names the source in the controller's logs.
func (s *lazySource) String() string { return "lazy dependency watch" }
