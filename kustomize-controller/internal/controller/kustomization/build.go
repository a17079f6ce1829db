package kustomization

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/build"
	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt"
	"github.com/ferry-gitops/ferry/kustomize-controller/internal/substitute"
)

// build runs kustomize on the artifact, decrypts SOPS-encrypted objects and substitutes the
// post-build variables. Problems in the source are BuildFailed (a spec.path missing from the
// source is ArtifactFailed, as in Flux) and retried on retryInterval (a new revision wakes the
// Kustomization at once).
func (st *state) build(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	defer st.releaseArtifact()
	dec, res := st.r.decryptor(ctx, obj)
	if !res.IsDone() {
		return res
	}
	objects, err := build.Build(&obj.Spec, build.Options{
		Root: st.handle.Dir, Path: obj.Spec.Path, NoRemoteBases: st.r.opts.NoRemoteBases, Decryptor: dec,
	})
	var notFound *build.PathNotFoundError
	if errors.As(err, &notFound) {
		return reconcile.Transient(fluxmeta.ArtifactFailedReason, err)
	}
	if err != nil {
		return reconcile.Transient(fluxmeta.BuildFailedReason, err)
	}
	if dec != nil {
		for _, o := range objects {
			if !decrypt.IsEncrypted(o) {
				continue
			}
			if err := dec.DecryptObject(o); err != nil {
				return reconcile.Transient(fluxmeta.BuildFailedReason, err)
			}
		}
	}
	if pb := obj.Spec.PostBuild; pb != nil {
		vars, err := st.r.variables(ctx, obj)
		if err != nil {
			return reconcile.Transient(fluxmeta.BuildFailedReason, err)
		}
		// As in Flux, substitution only runs when some variable is defined, unless the
		// strategy is Always (which applies ${var:=default} with no variable at all).
		if len(vars) > 0 || pb.SubstituteStrategy == kustomizev1.SubstituteAlways {
			if err := substitute.Apply(objects, vars, st.r.opts.StrictSubstitution); err != nil {
				return reconcile.Transient(fluxmeta.BuildFailedReason, err)
			}
		}
	}
	st.objects = objects
	return reconcile.Done("", "")
}

// decryptor returns the SOPS decryptor of spec.decryption, or nil when there is none.
func (r *Reconciler) decryptor(ctx context.Context, obj *kustomizev1.Kustomization) (*decrypt.Decryptor, reconcile.Result) {
	d := obj.Spec.Decryption
	if d == nil {
		return nil, reconcile.Done("", "")
	}
	if d.Provider != kustomizev1.DecryptionProviderSOPS {
		return nil, reconcile.Stalled(fluxmeta.UnsupportedSpecReason,
			fmt.Errorf("decryption provider '%s' is not supported: use sops", d.Provider))
	}
	keys := map[string][]byte{}
	if d.SecretRef != nil {
		var secret corev1.Secret
		if err := r.reader.Get(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: d.SecretRef.Name}, &secret); err != nil {
			return nil, reconcile.Transient(fluxmeta.BuildFailedReason,
				fmt.Errorf("failed to get the decryption Secret '%s/%s': %w", obj.Namespace, d.SecretRef.Name, err))
		}
		keys = secret.Data
	}
	dec, err := decrypt.NewDecryptor(keys)
	if err != nil {
		return nil, reconcile.Stalled(fluxmeta.BuildFailedReason,
			fmt.Errorf("failed to read the decryption Secret '%s/%s': %w", obj.Namespace, d.SecretRef.Name, err))
	}
	return dec, reconcile.Done("", "")
}

// variables merges the values of spec.postBuild.substituteFrom, in order, and then
// spec.postBuild.substitute, which wins.
func (r *Reconciler) variables(ctx context.Context, obj *kustomizev1.Kustomization) (map[string]string, error) {
	var from []map[string]string
	for _, ref := range obj.Spec.PostBuild.SubstituteFrom {
		data, err := r.referencedData(ctx, obj.Namespace, ref)
		if err != nil {
			return nil, err
		}
		from = append(from, data)
	}
	return substitute.MergeVars(from, obj.Spec.PostBuild.Substitute), nil
}

// referencedData reads the ConfigMap or Secret of one substituteFrom entry; an optional one
// that does not exist gives nothing.
func (r *Reconciler) referencedData(ctx context.Context, ns string, ref kustomizev1.SubstituteReference) (map[string]string, error) {
	key := types.NamespacedName{Namespace: ns, Name: ref.Name}
	var cm corev1.ConfigMap
	var secret corev1.Secret
	var err error
	switch ref.Kind {
	case "ConfigMap":
		err = r.reader.Get(ctx, key, &cm)
	case "Secret":
		err = r.reader.Get(ctx, key, &secret)
	default:
		return nil, fmt.Errorf("substituteFrom kind '%s' is not supported: use ConfigMap or Secret", ref.Kind)
	}
	if apierrors.IsNotFound(err) && ref.Optional {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to get substituteFrom %s '%s': %w", ref.Kind, key, err)
	}
	if ref.Kind == "ConfigMap" {
		return cm.Data, nil
	}
	return substitute.SecretVars(secret.Data), nil
}
