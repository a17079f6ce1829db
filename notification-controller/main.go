// Command notification-controller is Ferry's notification-controller.
package main

import (
	"errors"

	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

const controllerName = "notification-controller"

func main() {
	manager.Main(manager.Program{
		Name:              controllerName,
		DefaultConcurrent: 4,
		AddToScheme:       []func(*runtime.Scheme) error{notificationv1.AddToScheme, notificationv1beta3.AddToScheme},
		Kinds:             []client.Object{&notificationv1.Receiver{}, &notificationv1beta3.Provider{}, &notificationv1beta3.Alert{}},
		IgnoredFlags: map[string]manager.FlagKind{
			"receiverAddr": manager.StringFlag, "rate-limit-interval": manager.StringFlag, "export-http-path": manager.StringFlag,
		},
		Register: register,
	})
}

// register refuses the three kinds until their reconcilers land: a Receiver says so in its
// status; Providers and Alerts, which have none, get a Warning event.
func register(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
	return errors.Join(
		controller.RefuseKind(mgr, rt, o, notificationv1.ReceiverKind, func() *notificationv1.Receiver { return &notificationv1.Receiver{} }),
		controller.RefuseStatuslessKind(mgr, rt, o, notificationv1beta3.ProviderKind, func() client.Object { return &notificationv1beta3.Provider{} }),
		controller.RefuseStatuslessKind(mgr, rt, o, notificationv1beta3.AlertKind, func() client.Object { return &notificationv1beta3.Alert{} }),
	)
}
