package bucket

import (
	"context"

	"k8s.io/apimachinery/pkg/types"

	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// finalize removes every artifact of the object and forgets its listing.
func (st *state) finalize(ctx context.Context, s *scope) reconcile.Result {
	res := st.r.artifacts.Finalize(ctx, s)
	if res.IsDone() {
		st.r.remember(types.NamespacedName{Namespace: s.Obj.Namespace, Name: s.Obj.Name}, "", nil)
	}
	return res
}
