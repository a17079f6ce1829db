package main

import (
	"os"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/testing/ctrltest"
	"github.com/ferry-gitops/ferry/shared/testing/surface"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(ctrltest.RunSuite(m, ctrltest.SuiteOptions{
		AddToScheme:       []func(*runtime.Scheme) error{notificationv1.AddToScheme, notificationv1beta3.AddToScheme},
		CRDDirectoryPaths: []string{"../deploy/crds"},
		Manager: ctrltest.Options{Name: controllerName, Register: register,
			Kinds: []client.Object{&notificationv1.Receiver{}, &notificationv1beta3.Provider{}, &notificationv1beta3.Alert{}}},
		Started: func(e *testenv.Env, _ *ctrltest.Manager) { env = e },
	}))
}

// TestRefusedFields: until the reconcilers land, a Receiver is Stalled saying so, and a
// Provider or an Alert gets a Warning event saying so.
func TestRefusedFields(t *testing.T) {
	surface.CheckRefused(t, env.Client, testenv.NewNamespace(t, env.Client), "Receiver")
	surface.CheckRefused(t, env.Client, testenv.NewNamespace(t, env.Client), "Provider")
	surface.CheckRefused(t, env.Client, testenv.NewNamespace(t, env.Client), "Alert")
}
