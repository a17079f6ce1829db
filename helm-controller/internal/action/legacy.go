package action

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/cli-runtime/pkg/resource"

	"github.com/ferry-gitops/ferry/shared/health"
)

// LegacyTimeoutError is returned by a legacy wait (spec.waitStrategy legacy) when its
// context ends before Helm's checks find every object ready. It unwraps to the context's
// error.
type LegacyTimeoutError struct {
	// Pending lists the objects not found ready, as Kind/namespace/name, sorted; with the
	// last error their check returned, when it returned one.
	Pending []string
	// Err is the context's error.
	Err error
}

// Error lists each object that is not ready, in a stable order.
func (e *LegacyTimeoutError) Error() string {
	what := "timed out"
	if !errors.Is(e.Err, context.DeadlineExceeded) {
		what = "stopped"
	}
	return fmt.Sprintf("%s waiting for %d object(s) to become ready: %s", what, len(e.Pending), strings.Join(e.Pending, "; "))
}

// Unwrap returns the context's error.
func (e *LegacyTimeoutError) Unwrap() error { return e.Err }

// waitLegacy polls Helm 3's readiness checks (the kube client's Wait and WaitWithJobs, with
// Jobs checked when jobs is set) until every resource is ready. It fails at once when a
// check says an object cannot become ready (a failed Job) or the API refuses to read one for
// good; other errors (throttling, server errors, the network) are retried until ctx ends,
// when it returns a *LegacyTimeoutError.
func waitLegacy(ctx context.Context, w *waiter, resources kube.ResourceList, jobs bool) error {
	checker := kube.NewReadyChecker(w.shared.clientset, w.Log, kube.PausedAsReady(true), kube.CheckJobs(jobs))
	pending := resources
	last := map[*resource.Info]error{}
	ticker := time.NewTicker(waitInterval)
	defer ticker.Stop()
	for {
		var next kube.ResourceList
		for _, info := range pending {
			ready, err := checker.IsReady(ctx, info)
			if ctx.Err() != nil {
				return legacyTimeout(ctx, pending, last)
			}
			if final(info, err) {
				return fmt.Errorf("%s failed: %w", refOf(info), err)
			}
			if !ready || err != nil {
				if _, api := apiStatus(err); api || err == nil {
					// A read that never reached the API (the client's rate limiter refusing
					// to outlive ctx, the network) keeps what was known.
					last[info] = err
				}
				next = append(next, info)
			}
		}
		if pending = next; len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return legacyTimeout(ctx, pending, last)
		case <-ticker.C:
		}
	}
}

// final reports whether a readiness check that failed with err cannot pass later: the API
// refused the read for good (not found, forbidden: not throttling or its own failure), or
// Helm's checks found a Job failed, which cannot recover. Other errors are retried, as
// Helm does.
func final(info *resource.Info, err error) bool {
	if err == nil {
		return false
	}
	if code, ok := apiStatus(err); ok {
		return code != 0 && code != http.StatusTooManyRequests && (code < 500 || code == http.StatusNotImplemented)
	}
	return info.Mapping.GroupVersionKind.Kind == "Job" && strings.HasPrefix(err.Error(), "job is failed")
}

// apiStatus returns the HTTP code of an error the API returned, and whether err is one.
func apiStatus(err error) (int32, bool) {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return status.Status().Code, true
	}
	return 0, false
}

// legacyTimeout builds the error a legacy wait returns when ctx ends.
func legacyTimeout(ctx context.Context, pending kube.ResourceList, last map[*resource.Info]error) error {
	out := make([]string, len(pending))
	for i, info := range pending {
		out[i] = refOf(info).String()
		if err := last[info]; err != nil {
			out[i] += ": " + err.Error()
		}
	}
	sort.Strings(out)
	return &LegacyTimeoutError{Pending: out, Err: ctx.Err()}
}

// refOf returns the reference of a mapped resource.
func refOf(info *resource.Info) health.ObjectRef {
	gvk := info.Mapping.GroupVersionKind
	return health.ObjectRef{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Namespace: info.Namespace, Name: info.Name}
}
