package kustomization

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/apply"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt"
	"github.com/ferry-gitops/ferry/shared/kustomize/build"
	"github.com/ferry-gitops/ferry/shared/kustomize/substitute"
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
	opts := build.Options{Root: st.handle.Dir, Path: obj.Spec.Path, NoRemoteBases: st.r.opts.NoRemoteBases}
	if dec != nil { // a nil *Decryptor in the interface would not read as "no decryption"
		opts.Decryptor = dec
	}
	objects, err := st.r.builds.Build(string(obj.UID), st.artifact.Digest, &obj.Spec, opts)
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
	vars, err := substitute.Variables(ctx, st.r.reader, obj.Namespace, obj.Spec.PostBuild)
	if err != nil {
		return reconcile.Transient(fluxmeta.BuildFailedReason, err)
	}
	if err := substitute.PostBuild(objects, obj.Spec.PostBuild, vars, st.r.opts.StrictSubstitution); err != nil {
		return reconcile.Transient(fluxmeta.BuildFailedReason, err)
	}
	st.objects = objects
	st.digest = digest(objects)
	return reconcile.Done("", "")
}

// digest is the "sha256:<hex>" of the objects of a build, in the order of their ids: the
// identity of what a reconcile applies, for status.history.
func digest(objects []*unstructured.Unstructured) string {
	sorted := append([]*unstructured.Unstructured(nil), objects...)
	sort.Slice(sorted, func(i, j int) bool { return apply.RefOf(sorted[i]).ID() < apply.RefOf(sorted[j]).ID() })
	h := sha256.New()
	for _, o := range sorted {
		b, err := json.Marshal(o.Object)
		if err != nil {
			continue
		}
		h.Write(b)
		h.Write([]byte{'\n'})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// decryptor returns the SOPS decryptor of spec.decryption, or nil when there is none. It
// holds the keys of the Kustomization's decryption Secret and the age identities of the
// --sops-age-secret Secret, and decrypts cloud KMS keys whose credentials the Secret lacks
// with the identity of decryptionIdentity.
func (r *Reconciler) decryptor(ctx context.Context, obj *kustomizev1.Kustomization) (*decrypt.Decryptor, reconcile.Result) {
	d := obj.Spec.Decryption
	if d == nil {
		return nil, reconcile.Done("", "")
	}
	if d.Provider != kustomizev1.DecryptionProviderSOPS {
		return nil, reconcile.Stalled(fluxmeta.UnsupportedSpecReason,
			fmt.Errorf("decryption provider '%s' is not supported: use sops", d.Provider))
	}
	id, res := r.decryptionIdentity(obj)
	if !res.IsDone() {
		return nil, res
	}
	keys := map[string][]byte{}
	if global := r.opts.SOPSAgeSecret; global.Name != "" {
		secret, err := r.secret(ctx, global)
		if err != nil {
			return nil, reconcile.Transient(fluxmeta.BuildFailedReason,
				fmt.Errorf("failed to get the --sops-age-secret Secret '%s': %w", global, err))
		}
		for name, value := range secret.Data {
			if strings.HasSuffix(name, decrypt.AgeKeySuffix) {
				// Secret keys cannot hold "/": these never collide with the Kustomization's.
				keys[global.String()+":"+name] = value
			}
		}
	}
	if d.SecretRef != nil {
		ref := types.NamespacedName{Namespace: obj.Namespace, Name: d.SecretRef.Name}
		secret, err := r.secret(ctx, ref)
		if err != nil {
			return nil, reconcile.Transient(fluxmeta.BuildFailedReason,
				fmt.Errorf("failed to get the decryption Secret '%s': %w", ref, err))
		}
		for name, value := range secret.Data {
			keys[name] = value
		}
	}
	dec, err := decrypt.NewDecryptorWithIdentity(keys, id)
	if err != nil {
		return nil, reconcile.Stalled(fluxmeta.BuildFailedReason, fmt.Errorf("failed to read the decryption keys: %w", err))
	}
	return dec, reconcile.Done("", "")
}

// secret reads a Secret from the API server.
func (r *Reconciler) secret(ctx context.Context, key types.NamespacedName) (*corev1.Secret, error) {
	var secret corev1.Secret
	if err := r.reader.Get(ctx, key, &secret); err != nil {
		return nil, err
	}
	return &secret, nil
}
