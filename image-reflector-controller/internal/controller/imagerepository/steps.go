package imagerepository

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagecontroller "github.com/ferry-gitops/ferry/image-reflector-controller/internal/controller"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/registry"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// latestTagsCount is how many tags status.lastScanResult.latestTags shows.
const latestTagsCount = 10

// validate parses spec.image and spec.exclusionList, and checks spec.provider against the
// rest of the spec; none can work until the spec changes.
func (st *state) validate(_ context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	repo, err := imagecontroller.ParseImage(obj.Spec.Image, obj.Spec.Insecure)
	if err != nil {
		return reconcile.Stalled(imagev1.ImageURLInvalidReason, err)
	}
	st.repo = repo
	obj.Status.CanonicalImageName = repo.Name()
	if err := st.r.deps.CheckProvider(obj, repo); err != nil {
		return reconcile.Stalled(imagev1.InvalidProviderConfigurationReason, err)
	}
	st.exclusions = st.exclusions[:0]
	for i, expr := range obj.GetExclusionList() {
		re, err := regexp.Compile(expr)
		if err != nil {
			return reconcile.Stalled(fluxmeta.ReconciliationFailedReason,
				fmt.Errorf("invalid spec.exclusionList[%d] '%s': %w", i, expr, err))
		}
		st.exclusions = append(st.exclusions, re)
	}
	return reconcile.Done("", "")
}

// scan lists the repository's tags, unless the last scan is recent enough (then nothing is
// asked of the registry and the next reconcile comes when the interval ends).
func (st *state) scan(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if wait, ok := st.notDue(obj); ok {
		st.skipped = true
		return reconcile.Result{Reason: fluxmeta.SucceededReason, Message: scanMessage(obj.Status.LastScanResult.TagCount), RequeueAfter: wait}
	}
	client, err := st.r.deps.RegistryClient(ctx, obj)
	if err != nil {
		return reconcile.Transient(imagev1.AuthenticationFailedReason, err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(ctx, obj.GetTimeout())
	defer cancel()
	tags, err := client.ListTags(ctx, st.repo)
	if err != nil {
		return scanFailed(err)
	}
	st.tags = slices.DeleteFunc(tags, func(tag string) bool {
		return slices.ContainsFunc(st.exclusions, func(re *regexp.Regexp) bool { return re.MatchString(tag) })
	})
	return reconcile.Done("", "")
}

// notDue reports whether the last scan still stands, and for how long: it succeeded for the
// current spec and exclusion list, no reconcile was requested since, its tags are in the
// store, and the interval has not elapsed.
func (st *state) notDue(obj *imagev1.ImageRepository) (time.Duration, bool) {
	last := obj.Status.LastScanResult
	if last == nil || last.ScanTime.IsZero() || !conditions.IsReady(obj) {
		return 0, false
	}
	if v, ok := fluxmeta.GetRequestedAt(obj); ok && v != obj.Status.LastHandledReconcileAt {
		return 0, false
	}
	if !slices.Equal(obj.Status.ObservedExclusionList, obj.GetExclusionList()) ||
		!st.r.deps.Store.Has(obj.Namespace, obj.Name, last.Revision) {
		return 0, false
	}
	wait := time.Until(last.ScanTime.Add(obj.GetRequeueAfter()))
	return wait, wait > 0
}

// scanFailed picks the outcome of a failed listing: credentials refused say so; a registry
// asking to be retried later is retried then; anything else is retried with back-off. The
// last scan result stays as it was.
func scanFailed(err error) reconcile.Result {
	var ra *registry.RetryAfterError
	switch {
	case errors.Is(err, registry.ErrAuth):
		return reconcile.Transient(imagev1.AuthenticationFailedReason, err)
	case errors.As(err, &ra):
		return reconcile.TransientAfter(imagev1.ReadOperationFailedReason, err, ra.After)
	}
	return reconcile.Transient(imagev1.ReadOperationFailedReason, err)
}

// store keeps the tags in the tag store and records the scan in the status; an event tells
// when the set of tags changed.
func (st *state) store(_ context.Context, s *scope) reconcile.Result {
	if st.skipped {
		return reconcile.Done("", "")
	}
	obj := s.Obj
	keep := ""
	if last := obj.Status.LastScanResult; last != nil {
		keep = last.Revision
	}
	rev, err := st.r.deps.Store.Put(obj.Namespace, obj.Name, st.tags, keep)
	if err != nil {
		return reconcile.Transient(imagev1.ReadOperationFailedReason, err)
	}
	msg := scanMessage(len(st.tags))
	if keep != rev {
		s.Event(corev1.EventTypeNormal, fluxmeta.SucceededReason, msg)
	}
	s.SetRevision(rev)
	obj.Status.LastScanResult = &imagev1.ScanResult{
		Revision:   rev,
		TagCount:   len(st.tags),
		ScanTime:   metav1.Now(),
		LatestTags: latestTags(st.tags),
	}
	obj.Status.ObservedExclusionList = slices.Clone(obj.GetExclusionList())
	return reconcile.Done(fluxmeta.SucceededReason, msg)
}

// scanMessage is the Ready message of a successful scan.
func scanMessage(count int) string {
	return fmt.Sprintf("successful scan: found %d tags", count)
}

// latestTags returns the first tags in descending lexicographic order, as Flux shows them.
func latestTags(tags []string) []string {
	sorted := slices.Clone(tags)
	sort.Sort(sort.Reverse(sort.StringSlice(sorted)))
	return sorted[:min(len(sorted), latestTagsCount)]
}
