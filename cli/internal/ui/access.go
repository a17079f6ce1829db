package ui

import (
	"context"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// accessTTL is how long an answer of the API server about the user's rights is reused.
const accessTTL = time.Minute

// access asks the API server, with SelfSubjectAccessReviews, what the user may do, and
// remembers the answers for a while: per verb, resource and namespace.
type access struct {
	c   client.Client
	mu  sync.Mutex
	ttl time.Duration
	now func() time.Time
	// answers are keyed by verb, resource and namespace.
	answers map[accessKey]accessAnswer
}

type accessKey struct {
	verb      string
	gvr       schema.GroupVersionResource
	namespace string
}

type accessAnswer struct {
	allowed bool
	at      time.Time
}

func newAccess(c client.Client) *access {
	return &access{c: c, ttl: accessTTL, now: time.Now, answers: map[accessKey]accessAnswer{}}
}

// allowed reports whether the user may verb the objects of gvr in namespace; a review
// that fails counts as a refusal, and is asked again next time.
func (a *access) allowed(ctx context.Context, verb string, gvr schema.GroupVersionResource, namespace string) bool {
	key := accessKey{verb: verb, gvr: gvr, namespace: namespace}
	a.mu.Lock()
	ans, ok := a.answers[key]
	a.mu.Unlock()
	if ok && a.now().Sub(ans.at) < a.ttl {
		return ans.allowed
	}
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: namespace, Verb: verb, Group: gvr.Group, Version: gvr.Version, Resource: gvr.Resource,
		},
	}}
	if err := a.c.Create(ctx, review); err != nil {
		return false // not remembered: the next object asks again
	}
	a.mu.Lock()
	a.answers[key] = accessAnswer{allowed: review.Status.Allowed, at: a.now()}
	a.mu.Unlock()
	return review.Status.Allowed
}
