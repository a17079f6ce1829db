package helmchart

import (
	"fmt"
	"os"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/registry"
)

// scope is the reconcile scope of a HelmChart.
type scope = reconcile.Scope[*sourcev1.HelmChart]

// state is what one reconcile's steps hand each other.
type state struct {
	r *Reconciler
	// vanished is set when the artifact in the status was no longer in the storage.
	vanished bool
	// src is the chart's source; repo is set for a HelmRepository source.
	src  sourcev1.Source
	repo *sourcev1.HelmRepository
	// chart is the chart and version the source resolves spec.chart and spec.version to.
	chart resolved
	// upToDate is set when the stored artifact already is that chart, built from that spec.
	upToDate bool
	// built is the chart to store.
	built built
	// oci talks to the registry of an OCI HelmRepository.
	oci *registry.Client
	// tmp is a temporary directory for downloads and packages, made on first use.
	tmp string
}

// resolved is a chart version found in the source.
type resolved struct {
	// name and version are the chart's; version is the artifact revision.
	name, version string
	// entry is the chart version in the index of a HelmRepository of type default.
	entry index.Version
	// tag is the tag of the version in an OCI HelmRepository.
	tag string
	// digest is the manifest digest of tag, when it was resolved to verify its signature:
	// the chart is then pulled by this digest.
	digest string
	// root is the directory the artifact of a GitRepository or Bucket was extracted to.
	root string
}

// built is the chart the build step made.
type built struct {
	// path is the packaged chart to store; empty when the stored artifact is up to date.
	path string
	// valuesFiles are the values files merged into the chart.
	valuesFiles []string
}

// kind describes the reconcile of a HelmChart: its steps, in order, share st.
func (st *state) kind() *reconcile.Kind[*sourcev1.HelmChart] {
	return st.r.artifacts.Kind(func() *sourcev1.HelmChart { return &sourcev1.HelmChart{} }, unsupportedFields,
		[]reconcile.Step[*sourcev1.HelmChart]{
			{Name: "storage", Run: st.checkStorage},
			{Name: "source", Run: st.source},
			{Name: "chart", Run: st.resolve},
			{Name: "verify", Run: st.verify},
			{Name: "build", Run: st.build},
			{Name: "artifact", Run: st.store},
		})
}

// pulled reports whether the chart is pulled from a HelmRepository rather than packaged from
// a directory of an artifact.
func (st *state) pulled() bool { return st.repo != nil }

// tempDir returns the reconcile's temporary directory, made on first use.
func (st *state) tempDir() (string, error) {
	if st.tmp == "" {
		dir, err := os.MkdirTemp("", "ferry-helmchart-")
		if err != nil {
			return "", fmt.Errorf("failed to create temporary directory: %w", err)
		}
		st.tmp = dir
	}
	return st.tmp, nil
}

// close releases the registry client and removes the temporary directory.
func (st *state) close() {
	if st.oci != nil {
		st.oci.Close()
	}
	if st.tmp != "" {
		_ = os.RemoveAll(st.tmp)
	}
}
