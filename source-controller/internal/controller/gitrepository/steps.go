package gitrepository

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/Masterminds/semver/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/git"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// Reasons of the IncludeUnavailable condition.
const (
	includeNotFoundReason   = "NotFound"
	includeNoArtifactReason = "NoArtifact"
)

// checkStorage drops an artifact whose file vanished from the storage, so that it is fetched
// again, and re-stamps the URL of one that is there.
func (st *state) checkStorage(_ context.Context, s *scope) reconcile.Result {
	st.vanished = st.r.artifacts.Check(s)
	return reconcile.Result{}
}

// validate stalls on a spec that cannot work until it changes.
func (st *state) validate(_ context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if err := validateURL(obj.Spec.URL); err != nil {
		return reconcile.Stalled(sourcev1.URLInvalidReason, err)
	}
	if err := validateSpec(obj); err != nil {
		return reconcile.Stalled(fluxmeta.UnsupportedSpecReason, err)
	}
	if err := cloud.CheckSpec(obj.Spec.Provider, obj.Spec.ServiceAccountName, false, st.r.objectLevel); err != nil {
		return reconcile.Stalled(sourcev1.InvalidProviderConfigurationReason, err)
	}
	if obj.Spec.Provider == sourcev1.GitProviderAWS {
		if err := cloud.CheckCodeCommitURL(obj.Spec.URL); err != nil {
			return reconcile.Stalled(sourcev1.InvalidProviderConfigurationReason, err)
		}
	}
	return reconcile.Result{}
}

// validateURL accepts http, https and ssh URLs with a host.
func validateURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid url '%s': %w", raw, err)
	}
	switch u.Scheme {
	case "http", "https", "ssh":
	default:
		return fmt.Errorf("invalid url '%s': unsupported scheme '%s': use http, https or ssh", raw, u.Scheme)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("invalid url '%s': no host", raw)
	}
	return nil
}

// validateSpec checks the fields besides the URL: semver range, include and sparse checkout
// paths.
func validateSpec(obj *sourcev1.GitRepository) error {
	if ref := obj.Spec.Reference; ref != nil && ref.SemVer != "" && ref.Commit == "" && ref.Name == "" {
		if _, err := semver.NewConstraint(ref.SemVer); err != nil {
			return fmt.Errorf("invalid semver range '%s': %w", ref.SemVer, err)
		}
	}
	for _, incl := range obj.Spec.Include {
		if incl.GitRepositoryRef.Name == obj.Name {
			return fmt.Errorf("include of '%s': a GitRepository cannot include itself", incl.GitRepositoryRef.Name)
		}
		for _, p := range []string{incl.FromPath, incl.GetToPath()} {
			if p != "" && !filepath.IsLocal(filepath.FromSlash(p)) {
				return fmt.Errorf("include of '%s': path '%s' must be relative and stay inside the artifact", incl.GitRepositoryRef.Name, p)
			}
		}
	}
	for _, d := range obj.Spec.SparseCheckout {
		if !filepath.IsLocal(filepath.FromSlash(d)) {
			return fmt.Errorf("sparseCheckout directory '%s' must be relative and stay inside the repository", d)
		}
	}
	return nil
}

// credentials reads spec.secretRef and spec.proxySecretRef, and the ServiceAccount of
// spec.serviceAccountName whose AWS or Azure identity spec.provider aws or azure then uses.
func (st *state) credentials(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	name := cloud.ServiceAccountName(obj.Spec.Provider, obj.Spec.ServiceAccountName, st.r.defaultSA)
	sa, err := cloud.ObjectServiceAccount(ctx, st.r.reader, s.Client, obj.Spec.Provider, obj.Namespace, name)
	if err != nil {
		return authFailed(obj, err)
	}
	auth, err := git.ForRepositoryAs(ctx, s.Client, st.r.tokens, obj, sa)
	if err != nil {
		return authFailed(s.Obj, err)
	}
	st.auth = auth
	return reconcile.Result{}
}

// authFailed marks a credentials failure: FetchFailed=True, retried with back-off.
func authFailed(obj *sourcev1.GitRepository, err error) reconcile.Result {
	return sourcecontroller.FetchFailed(obj, false, sourcev1.AuthenticationFailedReason, err)
}

// resolveIncludes finds the artifacts of spec.include; it waits while one is missing.
func (st *state) resolveIncludes(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	st.included = make([]*fluxmeta.Artifact, 0, len(obj.Spec.Include))
	for _, incl := range obj.Spec.Include {
		var dep sourcev1.GitRepository
		key := types.NamespacedName{Namespace: obj.Namespace, Name: incl.GitRepositoryRef.Name}
		if err := s.Client.Get(ctx, key, &dep); err != nil {
			if !apierrors.IsNotFound(err) {
				return reconcile.Transient(sourcev1.IncludeUnavailableCondition, fmt.Errorf("failed to get include '%s': %w", key.Name, err))
			}
			err = fmt.Errorf("included GitRepository '%s' not found", key.Name)
			conditions.MarkTrue(obj, sourcev1.IncludeUnavailableCondition, includeNotFoundReason, err.Error())
			return reconcile.Waiting(sourcev1.IncludeUnavailableCondition, err)
		}
		if dep.Status.Artifact == nil || !st.r.artifacts.Storage().Exists(*dep.Status.Artifact) {
			err := fmt.Errorf("included GitRepository '%s' has no artifact yet", key.Name)
			conditions.MarkTrue(obj, sourcev1.IncludeUnavailableCondition, includeNoArtifactReason, err.Error())
			return reconcile.Waiting(sourcev1.IncludeUnavailableCondition, err)
		}
		st.included = append(st.included, dep.Status.Artifact.DeepCopy())
	}
	conditions.Delete(obj, sourcev1.IncludeUnavailableCondition)
	return reconcile.Result{}
}
