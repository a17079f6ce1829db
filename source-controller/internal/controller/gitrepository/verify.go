package gitrepository

import (
	"context"
	"fmt"
	"strings"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/checkout"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// verify checks the OpenPGP or SSH signatures of the fetched commit and/or tag as
// spec.verify asks, with the keys of its Secret. An artifact that is up to date was verified when it was built.
func (st *state) verify(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	v := obj.Spec.Verification
	if v == nil {
		conditions.Delete(obj, sourcev1.SourceVerifiedCondition)
		obj.Status.SourceVerificationMode = nil
		return reconcile.Result{}
	}
	if st.upToDate {
		return reconcile.Result{}
	}
	data, err := sourcecontroller.SecretData(ctx, s.Client, obj.Namespace, &v.SecretRef)
	if err != nil {
		return verificationFailed(obj, err)
	}
	keys, err := checkout.ParseTrustedKeys(data)
	if err != nil {
		return verificationFailed(obj, err)
	}
	var verified []string
	if v.VerifyTag() {
		tag, ok := strings.CutPrefix(st.commit.Ref, "refs/tags/")
		if !ok {
			err := fmt.Errorf("verification mode '%s' needs a tag: set spec.ref.tag or spec.ref.semver", v.GetMode())
			conditions.MarkFalse(obj, sourcev1.SourceVerifiedCondition, sourcev1.VerificationErrorReason, err.Error())
			return reconcile.Stalled(sourcev1.VerificationErrorReason, err)
		}
		key, err := checkout.VerifyTag(st.dir, st.commit.Ref, keys)
		if err != nil {
			return verificationFailed(obj, err)
		}
		verified = append(verified, fmt.Sprintf("tag '%s' with key '%s'", tag, key))
	}
	if v.VerifyHEAD() {
		key, err := checkout.VerifyCommit(st.dir, st.commit.Hash, keys)
		if err != nil {
			return verificationFailed(obj, err)
		}
		verified = append(verified, fmt.Sprintf("commit '%s' with key '%s'", st.commit.Hash, key))
	}
	mode := v.GetMode()
	obj.Status.SourceVerificationMode = &mode
	conditions.MarkTrue(obj, sourcev1.SourceVerifiedCondition, fluxmeta.SucceededReason,
		"verified signature of "+strings.Join(verified, " and "))
	return reconcile.Result{}
}

// verificationFailed marks SourceVerified=False; the keys may change, so it is retried.
func verificationFailed(obj *sourcev1.GitRepository, err error) reconcile.Result {
	conditions.MarkFalse(obj, sourcev1.SourceVerifiedCondition, sourcev1.VerificationErrorReason, err.Error())
	return reconcile.Transient(sourcev1.VerificationErrorReason, err)
}

// sameVerification reports whether the artifact was verified in the mode spec.verify asks.
func sameVerification(obj *sourcev1.GitRepository) bool {
	observed, v := obj.Status.SourceVerificationMode, obj.Spec.Verification
	if v == nil {
		return observed == nil
	}
	return observed != nil && *observed == v.GetMode()
}
