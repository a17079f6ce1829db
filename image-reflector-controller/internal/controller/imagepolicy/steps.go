package imagepolicy

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	imagecontroller "github.com/ferry-gitops/ferry/image-reflector-controller/internal/controller"
	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/policy"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/registry"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// validate compiles the policy; a bad range, regular expression or template stalls naming
// the field.
func (st *state) validate(_ context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if obj.GetDigestReflectionPolicy() == imagev1.ReflectAlways && (obj.Spec.Interval == nil || obj.Spec.Interval.Duration <= 0) {
		return reconcile.Stalled(imagev1.IntervalNotConfiguredReason,
			errors.New("spec.interval must be set when spec.digestReflectionPolicy is Always"))
	}
	sel, err := policy.New(obj.Spec)
	if err != nil {
		return reconcile.Stalled(imagev1.InvalidPolicyReason, err)
	}
	st.selector = sel
	return reconcile.Done("", "")
}

// elect reads the repository's tags from the tag store and elects the latest. No tag
// electable is a wait: the repository's next set of tags wakes the policy.
func (st *state) elect(_ context.Context, s *scope) reconcile.Result {
	repo := st.repo
	id := repo.Namespace + "/" + repo.Name
	tags, err := st.r.deps.Store.Tags(repo.Namespace, repo.Name, revision(repo))
	if err != nil {
		return reconcile.Transient(fluxmeta.DependencyNotReadyReason, fmt.Errorf("failed to read the tags of ImageRepository '%s': %w", id, err))
	}
	latest, considered, ok := st.selector.Select(tags)
	if !ok {
		counted := fmt.Sprintf("%d tags considered", considered)
		if considered != len(tags) {
			counted = fmt.Sprintf("%d of %d tags pass spec.filterTags", considered, len(tags))
		}
		return reconcile.Waiting(fluxmeta.ReconciliationFailedReason,
			fmt.Errorf("no tag of ImageRepository '%s' satisfies the %s of ImagePolicy '%s/%s' (%s)",
				id, st.selector, s.Obj.Namespace, s.Obj.Name, counted))
	}
	st.latest = imagev1.ImageRef{Name: repo.Spec.Image, Tag: latest}
	return reconcile.Done("", "")
}

// digest fills in the elected tag's digest as spec.digestReflectionPolicy asks: never;
// once per elected tag (IfNotPresent); or on every evaluation (Always, every interval). The
// registry is asked with the repository's credentials.
func (st *state) digest(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	switch obj.GetDigestReflectionPolicy() {
	case imagev1.ReflectNever:
		return reconcile.Done("", "")
	case imagev1.ReflectIfNotPresent:
		if prev := obj.Status.LatestRef; prev != nil && prev.Digest != "" && prev.Name == st.latest.Name && prev.Tag == st.latest.Tag {
			st.latest.Digest = prev.Digest
			return reconcile.Done("", "")
		}
	}
	repo := st.repo
	parsed, err := imagecontroller.ParseImage(repo.Spec.Image, repo.Spec.Insecure)
	if err != nil {
		return reconcile.Transient(fluxmeta.DependencyNotReadyReason, err)
	}
	client, err := st.r.deps.RegistryClient(ctx, repo)
	if err != nil {
		return reconcile.Transient(imagev1.AuthenticationFailedReason, err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(ctx, repo.GetTimeout())
	defer cancel()
	d, err := client.Digest(ctx, parsed.Tag(st.latest.Tag))
	if err != nil {
		reason := imagev1.ReadOperationFailedReason
		if errors.Is(err, registry.ErrAuth) {
			reason = imagev1.AuthenticationFailedReason
		}
		return reconcile.Transient(reason, err)
	}
	st.latest.Digest = d
	return reconcile.Done("", "")
}

// record writes the elected image into the status, keeping the one it replaces in
// observedPreviousRef, with an event when it changed.
func (st *state) record(_ context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	latest := st.latest
	prev := obj.Status.LatestRef
	if prev == nil || *prev != latest {
		if prev == nil {
			s.Event(corev1.EventTypeNormal, fluxmeta.SucceededReason,
				fmt.Sprintf("Latest image tag for '%s' resolved to %s", latest.Name, latest.Tag))
		} else {
			s.Event(corev1.EventTypeNormal, fluxmeta.SucceededReason,
				fmt.Sprintf("Latest image tag for '%s' updated from %s to %s", latest.Name, display(prev), display(&latest)))
			obj.Status.ObservedPreviousRef = prev
			obj.Status.ObservedPreviousImage = prev.Name + ":" + prev.Tag
		}
		obj.Status.LatestRef = &latest
	}
	obj.Status.LatestImage = latest.Name + ":" + latest.Tag
	s.SetRevision(latest.String())
	return reconcile.Done(fluxmeta.SucceededReason, fmt.Sprintf("Latest image tag for '%s' resolved to %s", latest.Name, latest.Tag))
}

// display shows a reference as its tag, with its digest when known.
func display(ref *imagev1.ImageRef) string {
	if ref.Digest != "" {
		return ref.Tag + "@" + ref.Digest
	}
	return ref.Tag
}
