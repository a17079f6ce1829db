package main

import (
	"os"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	"github.com/ferry-gitops/ferry/shared/testing/ctrltest"
	"github.com/ferry-gitops/ferry/shared/testing/surface"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(ctrltest.RunSuite(m, ctrltest.SuiteOptions{
		AddToScheme:       []func(*runtime.Scheme) error{imagev1.AddToScheme},
		CRDDirectoryPaths: []string{"../deploy/crds"},
		Manager: ctrltest.Options{Name: controllerName, Register: register,
			Kinds: []client.Object{&imagev1.ImageRepository{}, &imagev1.ImagePolicy{}}},
		Started: func(e *testenv.Env, _ *ctrltest.Manager) { env = e },
	}))
}

// TestRefusedFields: until the reconcilers land, every object of both kinds is Stalled saying so.
func TestRefusedFields(t *testing.T) {
	surface.CheckRefused(t, env.Client, testenv.NewNamespace(t, env.Client), "ImageRepository")
	surface.CheckRefused(t, env.Client, testenv.NewNamespace(t, env.Client), "ImagePolicy")
}
