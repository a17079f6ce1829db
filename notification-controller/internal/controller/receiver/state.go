package receiver

import (
	"time"

	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// state is what one reconcile's steps hand each other.
type state struct {
	r *Reconciler
}

// kind describes the reconciliation of a Receiver.
func (st *state) kind() *reconcile.Kind[*notificationv1.Receiver] {
	return &reconcile.Kind[*notificationv1.Receiver]{
		Name: notificationv1.ReceiverKind,
		New:  func() *notificationv1.Receiver { return &notificationv1.Receiver{} },
		Steps: []reconcile.Step[*notificationv1.Receiver]{
			{Name: "validate", Run: st.validate},
			{Name: "token", Run: st.token},
		},
		Interval: func(obj *notificationv1.Receiver) time.Duration { return obj.GetInterval() },
	}
}
