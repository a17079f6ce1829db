package sender

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/notification-controller/internal/notifier"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
)

// failureTTL is how long a Provider that could not be resolved is not tried again (unless it
// or its Secrets change), so that a burst of events does not read a missing Secret each time.
const failureTTL = 10 * time.Second

// Registry keeps one Sender per Provider, built from the Provider's current version and
// dropped when the Provider or one of its Secrets changes (Forget).
type Registry struct {
	reader client.Reader
	ids    *Identities
	now    func() time.Time

	mu      sync.Mutex
	senders map[types.NamespacedName]*cached
}

type cached struct {
	sender          *Sender
	err             error
	resourceVersion string
	at              time.Time
}

// NewRegistry returns an empty registry that reads Secrets with reader and gives Providers
// the identity of their spec.serviceAccountName from ids (nil: the feature gate
// ObjectLevelWorkloadIdentity is off).
func NewRegistry(reader client.Reader, ids *Identities) *Registry {
	return &Registry{reader: reader, ids: ids, now: time.Now, senders: map[types.NamespacedName]*cached{}}
}

// Check resolves p as a delivery would and, when it names a ServiceAccount, gets a token of
// its identity, so that a Provider that cannot send fails before an event needs it.
func (r *Registry) Check(ctx context.Context, p *notificationv1beta3.Provider) error {
	cfg, err := Config(ctx, r.reader, r.ids, p)
	if err == nil {
		_, err = notifier.New(cfg)
	}
	if err == nil {
		err = notifier.VerifyIdentity(ctx, cfg)
	}
	return err
}

// Get returns the Sender of p, building it when p changed since it was built.
func (r *Registry) Get(ctx context.Context, p *notificationv1beta3.Provider) (*Sender, error) {
	key := client.ObjectKeyFromObject(p)
	r.mu.Lock()
	c, ok := r.senders[key]
	r.mu.Unlock()
	if ok && c.resourceVersion == p.ResourceVersion && (c.err == nil || r.now().Sub(c.at) < failureTTL) {
		return c.sender, c.err
	}
	s, err := Resolve(ctx, r.reader, r.ids, p)
	r.mu.Lock()
	r.senders[key] = &cached{sender: s, err: err, resourceVersion: p.ResourceVersion, at: r.now()}
	r.mu.Unlock()
	return s, err
}

// Forget drops the Sender of a Provider, to be built again from its Secrets.
func (r *Registry) Forget(key types.NamespacedName) {
	r.mu.Lock()
	delete(r.senders, key)
	r.mu.Unlock()
}
