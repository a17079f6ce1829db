// Package demo is the world `make run` shows a user: a Git server on 127.0.0.1 holding the
// repository demo.git (made from the seed repository; clone it, edit, push), a Helm chart
// repository serving the chart hello in versions 1.0.0 and 1.1.0, an OCI registry holding
// myorg/my-app v1.0.0 (the image of seed 002's Deployment), and the toolkit objects that
// point Ferry at them (a GitRepository, two Kustomizations, a HelmRepository, a HelmRelease,
// and seed 002's ImageRepository, ImagePolicy and ImageUpdateAutomation, which close the
// loop: tag a new version and the Deployment runs it). Start serves the repositories, Apply
// creates the objects, WaitReady reports each one as it becomes Ready and waits for the
// Deployments they make, Stop ends the servers.
package demo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
)

// Names of the demo's repository and namespaces.
const (
	// RepoName is the Git repository the demo serves, at <server>/demo.git.
	RepoName = "demo"
	// Namespace holds the HelmRepository, the HelmRelease and the release's objects.
	Namespace = "demo"
	// FleetNamespace holds the GitRepository and the Kustomizations, as in a Flux install.
	FleetNamespace = "flux-system"
)

// Deployments are the Deployments the demo's objects make: seed 003's my-app in default,
// seed 002's production overlay of it, and the HelmRelease's hello.
var Deployments = []types.NamespacedName{
	{Namespace: "default", Name: "my-app"},
	{Namespace: "production", Name: "my-app"},
	{Namespace: Namespace, Name: "hello"},
}

// Options say where the demo's content comes from and where its files go.
type Options struct {
	// Testdata is the e2e/testdata directory: seed-repo/ becomes demo.git and charts/hello
	// the chart.
	Testdata string
	// Dir receives the bare repositories and the objects' YAML; it must exist.
	Dir string
}

// World is the running demo.
type World struct {
	// RepoURL is the plain-HTTP URL of demo.git; anyone may clone it and push to it.
	RepoURL string
	// ChartsURL is the URL of the Helm chart repository.
	ChartsURL string
	// RegistryURL is the base URL of the OCI registry, Image the repository of my-app there.
	RegistryURL, Image string
	// ObjectsFile is the YAML of Objects, written for the user to read or re-apply.
	ObjectsFile string
	// Objects are the toolkit objects Apply creates, in order.
	Objects []*unstructured.Unstructured

	git      *gitServer
	charts   *helmrepo.Server
	registry *registry.Registry
}

// Start creates demo.git from the seed repository and serves it, publishes the chart in a
// chart repository, and prepares the objects pointing at both. The caller must call Stop.
func Start(opts Options) (*World, error) {
	w := &World{}
	var err error
	if w.registry, err = startRegistry(); err != nil {
		return nil, err
	}
	w.RegistryURL, w.Image = w.registry.URL(), w.registry.Repo(ImageName)
	if w.git, err = startGitServer(filepath.Join(opts.Dir, "git")); err != nil {
		return nil, errors.Join(err, w.Stop())
	}
	edit := func(work string) error { return pointAtRegistry(work, w.Image) }
	if w.RepoURL, err = w.git.createRepo(RepoName, filepath.Join(opts.Testdata, "seed-repo"), edit); err != nil {
		return nil, errors.Join(err, w.Stop())
	}
	if w.charts, err = publishCharts(filepath.Join(opts.Testdata, "charts", "hello")); err != nil {
		return nil, errors.Join(err, w.Stop())
	}
	w.ChartsURL = w.charts.URL()
	data := objectsYAML(w.RepoURL, w.ChartsURL, w.Image)
	if w.Objects, err = decodeObjects(data); err != nil {
		return nil, errors.Join(err, w.Stop())
	}
	w.ObjectsFile = filepath.Join(opts.Dir, "demo-objects.yaml")
	if err := os.WriteFile(w.ObjectsFile, []byte(data), 0o644); err != nil {
		return nil, errors.Join(fmt.Errorf("failed to write the demo objects: %w", err), w.Stop())
	}
	return w, nil
}

// Stop stops the chart repository, the Git server and the registry. It is safe on a partly
// started World.
func (w *World) Stop() error {
	var errs []error
	if w.registry != nil {
		w.registry.Close()
		w.registry = nil
	}
	if w.charts != nil {
		w.charts.Close()
		w.charts = nil
	}
	if w.git != nil {
		errs = append(errs, w.git.close())
		w.git = nil
	}
	return errors.Join(errs...)
}
