package controller

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

// CheckStorage drops an artifact whose file vanished from st, so that it is fetched
// again, and refreshes the URL of one that is there. artifact points at status.artifact and
// url at status.url (nil for a kind without one). It returns whether the artifact vanished.
func CheckStorage(st *storage.Storage, log logr.Logger, obj fluxmeta.StatusObject, artifact **fluxmeta.Artifact, url *string) bool {
	a := *artifact
	if a == nil {
		return false
	}
	if !st.Exists(*a) {
		log.Info("artifact vanished from storage, fetching it again", "path", a.Path)
		*artifact = nil
		if url != nil {
			*url = ""
		}
		conditions.Delete(obj, sourcev1.ArtifactInStorageCondition)
		return true
	}
	a.URL = st.URL(a.Path)
	if url != nil {
		*url = a.URL
	}
	return false
}

// RemoveArtifacts removes every artifact of the object, of kind, from st under the object's
// lock.
func RemoveArtifacts(ctx context.Context, st *storage.Storage, kind string, obj client.Object) error {
	unlock, err := st.Lock(ctx, kind, obj.GetNamespace(), obj.GetName())
	if err != nil {
		return err
	}
	defer unlock()
	return st.RemoveAll(kind, obj.GetNamespace(), obj.GetName())
}

// Finalize removes every artifact of the object, of kind, from st: the finalizer of every
// source kind. A failure is retried.
func Finalize(ctx context.Context, st *storage.Storage, kind string, obj client.Object) reconcile.Result {
	if err := RemoveArtifacts(ctx, st, kind, obj); err != nil {
		return reconcile.Transient(fluxmeta.DeletionFailedReason, err)
	}
	return reconcile.Done("", "")
}

// Stored marks the artifact in the status as stored and up to date (ArtifactInStorage=True
// with msg, no StorageOperationFailed or ArtifactOutdated) and returns the Ready result.
func Stored(obj fluxmeta.StatusObject, msg string) reconcile.Result {
	conditions.Delete(obj, sourcev1.StorageOperationFailedCondition)
	conditions.Delete(obj, sourcev1.ArtifactOutdatedCondition)
	conditions.MarkTrue(obj, sourcev1.ArtifactInStorageCondition, fluxmeta.SucceededReason, msg)
	return reconcile.Done(fluxmeta.SucceededReason, msg)
}

// StorageFailed marks a failure of the artifact storage, StorageOperationFailed=True with
// reason, and returns a failure retried with back-off.
func StorageFailed(obj fluxmeta.StatusObject, reason string, err error) reconcile.Result {
	conditions.MarkTrue(obj, sourcev1.StorageOperationFailedCondition, reason, err.Error())
	return reconcile.Transient(reason, err)
}

// GetSecret reads the Secret name in namespace, with an error a user understands when it is
// missing.
func GetSecret(ctx context.Context, c client.Reader, namespace, name string) (*corev1.Secret, error) {
	secret := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("failed to get secret '%s/%s': not found", namespace, name)
		}
		return nil, fmt.Errorf("failed to get secret '%s/%s': %w", namespace, name, err)
	}
	return secret, nil
}

// SecretData returns the data of the Secret name in namespace; see GetSecret.
func SecretData(ctx context.Context, c client.Reader, namespace, name string) (map[string][]byte, error) {
	secret, err := GetSecret(ctx, c, namespace, name)
	if err != nil {
		return nil, err
	}
	return secret.Data, nil
}
