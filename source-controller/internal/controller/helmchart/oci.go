package helmchart

import (
	"context"
	"errors"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// pullOCI resolves and pulls a chart from an OCI HelmRepository.
func (r *Reconciler) pullOCI(_ context.Context, s *reconcile.Scope[*sourcev1.HelmChart], _ *sourcev1.HelmRepository, _ string) (built, reconcile.Result) {
	return built{}, buildFailed(s.Obj, ChartPullErrorReason, errors.New("charts from OCI HelmRepositories are not supported yet"))
}
