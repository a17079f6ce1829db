package hook

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/ferry-gitops/ferry/notification-controller/internal/oidc"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
)

// policyCache keeps the compiled OIDC policy of each generic-oidc Receiver generation.
type policyCache struct {
	mu sync.Mutex
	m  map[types.UID]compiledPolicy
}

type compiledPolicy struct {
	generation int64
	policy     *oidc.Policy
	err        error
}

func newPolicyCache() *policyCache { return &policyCache{m: map[types.UID]compiledPolicy{}} }

// get returns the compiled spec.oidcProviders of recv.
func (c *policyCache) get(recv *notificationv1.Receiver) (*oidc.Policy, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.m[recv.UID]; ok && p.generation == recv.Generation {
		return p.policy, p.err
	}
	p := compiledPolicy{generation: recv.Generation}
	p.policy, p.err = oidc.Compile(recv.Spec.OIDCProviders)
	c.m[recv.UID] = p
	return p.policy, p.err
}
