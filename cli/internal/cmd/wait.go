package cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
)

// progress is where a requested reconciliation stands.
type progress struct {
	// done is set once the controller has handled the request and decided Ready.
	done bool
	// failed is set when it decided that the object is not Ready.
	failed bool
	// message explains the state: the Ready or Stalled message, or what is awaited.
	message string
}

// reconcileProgress tells, from obj's status, whether the controller has handled the
// reconcile request token for generation gen (or a later one), and with what outcome.
// Ready=True ends the wait with success; Ready=False or Stalled=True ends it with failure;
// Ready=Unknown (still reconciling) keeps it going.
func reconcileProgress(obj fluxmeta.StatusObject, token string, gen int64) progress {
	st := obj.GetObjectStatus()
	if st.LastHandledReconcileAt != token {
		return progress{message: "the controller has not handled the request yet"}
	}
	if st.ObservedGeneration < gen {
		return progress{message: fmt.Sprintf("the controller has not observed generation %d yet", gen)}
	}
	if c := conditions.Get(obj, fluxmeta.StalledCondition); c != nil && c.Status == metav1.ConditionTrue {
		return progress{done: true, failed: true, message: c.Message}
	}
	c := conditions.Get(obj, fluxmeta.ReadyCondition)
	switch {
	case c == nil:
		return progress{message: "the controller has not reported Ready yet"}
	case c.Status == metav1.ConditionTrue:
		return progress{done: true, message: c.Message}
	case c.Status == metav1.ConditionFalse:
		return progress{done: true, failed: true, message: c.Message}
	}
	return progress{message: c.Message}
}

// waitForReconcile polls the object until the controller has handled the reconcile
// request token and reported Ready. It fails with the Ready (or Stalled) message when the
// object is not Ready, and with the last known state when ctx ends first.
func (a *app) waitForReconcile(ctx context.Context, c client.Client, k *kinds.Kind, obj kinds.Object, token string) error {
	so, ok := obj.(fluxmeta.StatusObject)
	if !ok {
		return nil // the kind has no status to wait on
	}
	key := client.ObjectKeyFromObject(obj)
	gen := obj.GetGeneration()
	a.waitingf("waiting for %s reconciliation", k)
	var last progress
	err := wait.PollUntilContextCancel(ctx, a.opts.PollInterval, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, key, obj); err != nil {
			if ctx.Err() != nil || deadlineRefused(err) {
				return false, context.DeadlineExceeded // the time is up: report the wait, not this read
			}
			return false, fmt.Errorf("failed to get %s %s: %w", k, key, err)
		}
		last = reconcileProgress(so, token, gen)
		return last.done, nil
	})
	switch {
	case err != nil && wait.Interrupted(err):
		return fmt.Errorf("failed to wait for %s %s to reconcile: %s: %w", k, key, last.message, err)
	case err != nil:
		return err
	case last.failed:
		return fmt.Errorf("failed to reconcile %s %s: %s", k, key, last.message)
	}
	a.successf("%s reconciliation completed%s", k, revisionSuffix(k, obj))
	return nil
}

// deadlineRefused reports whether a request was not sent because the client's rate limiter
// would have had it wait past the context's deadline (x/time/rate does not wrap
// context.DeadlineExceeded in that error): the wait's time is up, as far as the user goes.
func deadlineRefused(err error) bool {
	return strings.Contains(err.Error(), "would exceed context deadline")
}

// revisionSuffix returns " (revision <rev>)" for kinds with a revision, or "".
func revisionSuffix(k *kinds.Kind, obj kinds.Object) string {
	if k.Revision == nil {
		return ""
	}
	if rev := k.Revision(obj); rev != "" {
		return " (revision " + rev + ")"
	}
	return ""
}

// requestToken returns the value of a new reconcile request: the current time, as flux
// writes it.
func requestToken() string { return time.Now().Format(time.RFC3339Nano) }
